//! `gateway.ssl`: TLS termination in the gateway itself (rustls with the `ring` provider).
//!
//! The certificate chain and private key are PEM files, read once at start-up; a missing or
//! unreadable file is a configuration error naming the key. The CLI talks to a TLS gateway over
//! loopback and pins the configured certificate (see [`super::pinned`]), so self-signed certificates
//! work without weakening verification elsewhere.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::{Problem, Ssl};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{key}: cannot read {path}: {reason}")]
    File {
        key: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error("gateway.ssl: the certificate and key do not form a usable TLS configuration: {0}")]
    Config(String),
}

impl TlsError {
    /// The error as a config problem, so that it is reported (and exits) like other config errors.
    pub fn to_problem(&self) -> Problem {
        match self {
            TlsError::File { key, path, reason } => {
                Problem::new(*key, format!("cannot read {}: {reason}", path.display()))
            }
            TlsError::Config(reason) => Problem::new("gateway.ssl", reason.clone()),
        }
    }
}

/// The crypto provider Pincer uses everywhere (servers, the CLI, outgoing HTTPS).
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Installs [`provider`] as the process default, for libraries that build their own TLS config.
pub fn install_default_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Reads the PEM certificate chain at `path` (the key is named in errors).
pub fn read_certificates(
    key: &'static str,
    path: &Path,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let fail = |reason: String| TlsError::File {
        key,
        path: path.to_path_buf(),
        reason,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| fail(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(e.to_string()))?;
    if certs.is_empty() {
        return Err(fail("no PEM certificate in the file".into()));
    }
    Ok(certs)
}

/// The server configuration for `ssl`, or `None` when TLS is off.
pub fn server_config(ssl: &Ssl) -> Result<Option<Arc<rustls::ServerConfig>>, TlsError> {
    if !ssl.enabled {
        return Ok(None);
    }
    // Validation guarantees both paths when TLS is enabled.
    let cert_path = PathBuf::from(ssl.cert_path.as_deref().unwrap_or_default());
    let key_path = PathBuf::from(ssl.key_path.as_deref().unwrap_or_default());
    let certs = read_certificates("gateway.ssl.certPath", &cert_path)?;
    let key = PrivateKeyDer::from_pem_file(&key_path).map_err(|e| TlsError::File {
        key: "gateway.ssl.keyPath",
        path: key_path.clone(),
        reason: e.to_string(),
    })?;
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    Ok(Some(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        format!("{}/tests/fixtures/tls/{name}", env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn a_valid_pair_loads_and_a_missing_file_names_its_key() {
        let mut ssl = Ssl {
            enabled: true,
            cert_path: Some(fixture("cert.pem")),
            key_path: Some(fixture("key.pem")),
        };
        assert!(server_config(&ssl).expect("loads").is_some());
        ssl.key_path = Some("/nonexistent/key.pem".into());
        let error = server_config(&ssl).expect_err("missing key");
        assert_eq!(error.to_problem().key, "gateway.ssl.keyPath");
        ssl.enabled = false;
        assert!(server_config(&ssl).expect("off").is_none());
    }
}
