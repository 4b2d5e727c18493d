//! Authentication of HTTP requests: `Authorization: Bearer <token or password>`, compared in
//! constant time, with the failed-attempt lockout applied before the credential is even looked at.
//! [`require`] is the middleware of the authenticated scope every protected route lives in (see
//! [`super::routes`]): it refuses a request without a valid credential before routing reaches a
//! handler. Then authorization: each handler names its operation
//! ([`Authorized<op::X>`](Authorized)), whose scope ([`crate::api::scopes`], the table the
//! WebSocket methods use too) the request must hold. A request holds every operator scope unless
//! its [`SCOPES_HEADER`] narrows them.

use std::marker::PhantomData;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use serde_json::json;
use tracing::warn;

use super::lockout::{Lockout, LockoutPolicy};
use super::AppState;
use crate::api::scopes::{self, MissingScope, Operation, ScopeSet};
use crate::config::credentials::Credential;
use crate::config::{AuthMode, Secret};

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
        // `type` and `param` make the body OpenAI's error shape too, for the SDKs.
        let (code, kind, extra_header) = match self {
            AuthRejection::LockedOut { retry_after } => (
                "AUTH_RATE_LIMITED",
                "rate_limit_error",
                (
                    header::RETRY_AFTER,
                    retry_after.as_secs().max(1).to_string(),
                ),
            ),
            _ => (
                "UNAUTHORIZED",
                "authentication_error",
                (
                    header::WWW_AUTHENTICATE,
                    "Bearer realm=\"pincer\"".to_string(),
                ),
            ),
        };
        let mut response = HttpResponse::build(self.status_code()).json(json!({
            "ok": false,
            "error": { "code": code, "message": self.to_string(), "type": kind, "param": null },
        }));
        if let Ok(value) = HeaderValue::from_str(&extra_header.1) {
            response.headers_mut().insert(extra_header.0, value);
        }
        response
    }
}

/// The request header that narrows an HTTP request's scopes (OpenClaw's name): comma-separated
/// scope names; absent, the request has every scope; empty, none.
pub(crate) const SCOPES_HEADER: &str = "x-openclaw-scopes";

/// The scopes an authenticated request holds: all, or what its [`SCOPES_HEADER`] names (a header
/// that is not text grants nothing).
pub(crate) fn request_scopes(request: &HttpRequest) -> ScopeSet {
    let mut values = request.headers().get_all(SCOPES_HEADER).peekable();
    if values.peek().is_none() {
        return ScopeSet::all();
    }
    let mut names = Vec::new();
    for value in values {
        match value.to_str() {
            Ok(text) => names.extend(text.split(',')),
            Err(_) => return ScopeSet::NONE,
        }
    }
    ScopeSet::requested(Some(names))
}

/// Why the extractor refused a request.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Refusal {
    #[error(transparent)]
    Auth(#[from] AuthRejection),
    #[error(transparent)]
    Scope(#[from] MissingScope),
}

impl ResponseError for Refusal {
    fn status_code(&self) -> StatusCode {
        match self {
            Refusal::Auth(rejection) => rejection.status_code(),
            Refusal::Scope(_) => StatusCode::FORBIDDEN,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Refusal::Auth(rejection) => rejection.error_response(),
            Refusal::Scope(refusal) => HttpResponse::Forbidden().json(json!({
                "ok": false,
                "error": { "code": scopes::FORBIDDEN, "message": refusal.to_string(),
                    "type": "permission_error", "param": null, "details": refusal.details() },
            })),
        }
    }
}

/// Extractor that admits only authenticated requests holding the scope operation `O` needs; add
/// it as a handler argument (`_auth: Authorized<op::SessionsReset>`).
pub(crate) struct Authorized<O: Operation> {
    operation: PhantomData<O>,
}

impl<O: Operation> FromRequest for Authorized<O> {
    type Error = Refusal;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        std::future::ready(authorize::<O>(request))
    }
}

fn authorize<O: Operation>(request: &HttpRequest) -> Result<Authorized<O>, Refusal> {
    authenticate(request)?;
    let scopes = request_scopes(request);
    if let Err(refusal) = O::REQUIREMENT.check(O::NAME, scopes) {
        warn!(peer = ?request.peer_addr().map(|a| a.ip()), path = request.path(),
            operation = O::NAME, missing = %refusal.missing, granted = %scopes,
            "request refused: missing scope");
        return Err(refusal.into());
    }
    Ok(Authorized {
        operation: PhantomData,
    })
}

/// The mark [`require`] leaves on a request whose credential it accepted, so that the handler's
/// [`Authorized`] does not check (and count) the same credential again.
#[derive(Debug, Clone, Copy)]
struct Authenticated;

/// The middleware of the authenticated scope (installed with `middleware::from_fn`): a request
/// without a valid credential gets 401 (429 while its client is locked out) and never reaches
/// routing inside the scope, let alone a handler.
pub(crate) async fn require(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    match authenticate(request.request()) {
        Ok(()) => {
            request.extensions_mut().insert(Authenticated);
            next.call(request)
                .await
                .map(ServiceResponse::map_into_left_body)
        }
        Err(rejection) => {
            let response = rejection.error_response();
            Ok(request.into_response(response).map_into_right_body())
        }
    }
}

/// Checks the request's credential with the [`AuthGate`] (once: a request [`require`] accepted
/// is not checked again).
fn authenticate(request: &HttpRequest) -> Result<(), AuthRejection> {
    if request.extensions().contains::<Authenticated>() {
        return Ok(());
    }
    let Some(state) = request.app_data::<web::Data<AppState>>() else {
        return Err(AuthRejection::Missing);
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
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::credentials::CredentialOrigin;
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
