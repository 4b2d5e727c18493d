//! Authentication of HTTP requests: `Authorization: Bearer <token or password>`, compared in
//! constant time, with the failed-attempt lockout applied before the credential is even looked at.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{dev::Payload, web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use serde_json::json;
use tracing::warn;

use super::lockout::{Lockout, LockoutPolicy};
use super::AppState;
use crate::config::{AuthMode, Secret};
use crate::gateway::credentials::Credential;

/// Checks credentials for every protected route.
#[derive(Debug)]
pub struct AuthGate {
    mode: AuthMode,
    secret: Option<Secret>,
    lockout: Lockout,
}

/// Why a request was refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthRejection {
    #[error("missing credentials: send `Authorization: Bearer <token>`")]
    Missing,
    #[error("invalid credentials")]
    Invalid,
    #[error("too many failed authentication attempts; retry in {} s", .retry_after.as_secs().max(1))]
    LockedOut { retry_after: Duration },
}

impl AuthGate {
    pub fn new(credential: &Credential, policy: LockoutPolicy) -> Self {
        AuthGate {
            mode: credential.mode,
            secret: credential.secret.clone(),
            lockout: Lockout::new(policy),
        }
    }

    /// Decides one request from its peer address, `Origin` header and `Authorization` header.
    pub fn check(
        &self,
        peer: Option<IpAddr>,
        origin: Option<&str>,
        authorization: Option<&str>,
        now: Instant,
    ) -> Result<(), AuthRejection> {
        let Some(secret) = self.secret.as_ref().filter(|_| self.mode != AuthMode::None) else {
            return Ok(());
        };
        let key = self.lockout.client_key(peer, origin);
        if let Some(retry_after) = key.as_deref().and_then(|k| self.lockout.locked_for(k, now)) {
            return Err(AuthRejection::LockedOut { retry_after });
        }
        let presented = authorization.and_then(|value| {
            let (scheme, rest) = value.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        });
        let rejection = match presented {
            Some(candidate) if secret.matches(candidate) => return Ok(()),
            Some(_) => AuthRejection::Invalid,
            None => AuthRejection::Missing,
        };
        if let Some(key) = key {
            if let Some(lockout) = self.lockout.record_failure(&key, now) {
                warn!(client = %key, lockout_s = lockout.as_secs(), "authentication lockout started");
            }
        }
        Err(rejection)
    }
}

impl ResponseError for AuthRejection {
    fn status_code(&self) -> StatusCode {
        match self {
            AuthRejection::LockedOut { .. } => StatusCode::TOO_MANY_REQUESTS,
            _ => StatusCode::UNAUTHORIZED,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (code, extra_header) = match self {
            AuthRejection::LockedOut { retry_after } => (
                "AUTH_RATE_LIMITED",
                (
                    header::RETRY_AFTER,
                    retry_after.as_secs().max(1).to_string(),
                ),
            ),
            _ => (
                "UNAUTHORIZED",
                (
                    header::WWW_AUTHENTICATE,
                    "Bearer realm=\"pincer\"".to_string(),
                ),
            ),
        };
        let mut response = HttpResponse::build(self.status_code()).json(json!({
            "ok": false,
            "error": { "code": code, "message": self.to_string() },
        }));
        if let Ok(value) = HeaderValue::from_str(&extra_header.1) {
            response.headers_mut().insert(extra_header.0, value);
        }
        response
    }
}

/// Extractor that admits only authenticated requests; add it as a handler argument.
pub struct Authorized;

impl FromRequest for Authorized {
    type Error = AuthRejection;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let Some(state) = request.app_data::<web::Data<AppState>>() else {
            return std::future::ready(Err(AuthRejection::Missing));
        };
        let header_str = |name| {
            request
                .headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
        };
        let peer = request.peer_addr().map(|addr| addr.ip());
        let result = state.auth.check(
            peer,
            header_str(header::ORIGIN),
            header_str(header::AUTHORIZATION),
            Instant::now(),
        );
        if let Err(rejection) = &result {
            warn!(peer = ?peer, path = request.path(), reason = %rejection, "request refused");
        }
        std::future::ready(result.map(|()| Authorized))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::credentials::CredentialOrigin;
    use std::net::Ipv4Addr;

    fn gate(mode: AuthMode) -> AuthGate {
        let credential = Credential {
            mode,
            secret: Some(Secret::new("s3cret-token")),
            origin: CredentialOrigin::Configured,
        };
        AuthGate::new(
            &credential,
            LockoutPolicy {
                max_attempts: 3,
                window: Duration::from_secs(60),
                lockout: Duration::from_secs(300),
                exempt_loopback: true,
            },
        )
    }

    #[test]
    fn bearer_credentials_are_checked() {
        let gate = gate(AuthMode::Token);
        let peer = Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)));
        let now = Instant::now();
        assert!(gate
            .check(peer, None, Some("Bearer s3cret-token"), now)
            .is_ok());
        assert!(gate
            .check(peer, None, Some("bearer s3cret-token"), now)
            .is_ok());
        assert!(matches!(
            gate.check(peer, None, None, now),
            Err(AuthRejection::Missing)
        ));
        assert!(matches!(
            gate.check(peer, None, Some("Basic abc"), now),
            Err(AuthRejection::Missing)
        ));
        assert!(matches!(
            gate.check(peer, None, Some("Bearer nope"), now),
            Err(AuthRejection::Invalid)
        ));
    }

    #[test]
    fn a_locked_out_client_is_refused_even_with_the_right_token() {
        let gate = gate(AuthMode::Password);
        let peer = Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)));
        let now = Instant::now();
        for _ in 0..3 {
            let _ = gate.check(peer, None, Some("Bearer wrong"), now);
        }
        let refused = gate.check(peer, None, Some("Bearer s3cret-token"), now);
        assert!(
            matches!(refused, Err(AuthRejection::LockedOut { .. })),
            "{refused:?}"
        );
        let local = Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert!(
            gate.check(local, None, Some("Bearer s3cret-token"), now)
                .is_ok(),
            "loopback CLI still works"
        );
    }

    #[test]
    fn mode_none_admits_everyone() {
        let gate = gate(AuthMode::None);
        assert!(gate.check(None, None, None, Instant::now()).is_ok());
    }
}
