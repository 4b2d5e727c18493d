//! The WebSocket connections of the control plane, once upgraded.
//!
//! The HTTP side (`web::ws_upgrade`, `GET /ws`) checks the page's origin, puts the frame limit
//! on the socket and upgrades it, then hands it to [`accept`] with a [`Handshake`]: narrow
//! handles, among them an [`Authenticate`] this module owns, so the control plane does not
//! depend on the HTTP adapter. The handshake happens here, on the HTTP worker: the gateway sends `connect.challenge`, the
//! client's first frame must be `req connect` (within 15 s, at most 64 KiB) with a protocol range
//! that meets 3..=4 (the highest common version is chosen) and the gateway's token or password; a wrong first frame, a bad credential
//! (counted by the auth lockout, like HTTP) or a protocol mismatch gets an error and the socket is
//! closed (1008). Then the connection's actor is started under `/gateway/clients`, `hello-ok` is
//! sent, and one task per connection moves frames: requests to the actor, answers from its
//! [`Outbox`], and bus events (each with the connection's own `seq`). A connection that falls
//! behind (its outbox passes `maxBufferedBytes`, or the bus laps it) is closed; nobody waits
//! for it.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_ws::{CloseCode, CloseReason, Message, Session};
use pincer_actors::{ActorRef, ChildSpec, StartChild, TerminateChild};
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;
use tracing::{debug, warn};

use super::connection::{ConnectionActor, Inbound, Outbox, OutboxReader};
use super::frame_limit::FrameLimit;
use super::frames::{self, code, parse_request, ErrorShape, Request, OLDEST_PROTOCOL, PROTOCOL};
use super::methods::{Call, METHODS};
use super::ControlPlane;
use super::{Presence, EVENTS, PRE_AUTH_MAX, TICK};
use crate::api::scopes::ScopeSet;
use crate::api::Operator;
use crate::sessions::router::SessionRouter;

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);

/// What a connection's handshake and its actor need: narrow handles the HTTP side (which owns
/// credentials, origins and connection slots) hands over with each upgraded socket.
#[derive(Clone)]
pub struct Handshake {
    /// The typed operator service the methods call.
    pub operator: Arc<Operator>,
    /// The event bus, presence, idempotency keys and `/gateway/clients`.
    pub control: Arc<ControlPlane>,
    /// Finds (or starts) session actors, for chat.
    pub router: ActorRef<SessionRouter>,
    /// Checks the credential of `connect` (and counts failures in the lockout).
    pub auth: Arc<dyn Authenticate>,
}

/// Checks a credential, as the HTTP side's auth gate does for requests; owned here so that the
/// control plane does not depend on the HTTP adapter.
pub trait Authenticate: Send + Sync {
    /// `header` is `Bearer <credential>` (or none); `origin` is the browser page, if any.
    fn check(
        &self,
        peer: Option<IpAddr>,
        origin: Option<&str>,
        header: Option<&str>,
        now: Instant,
    ) -> Result<(), Refused>;
}

/// Why a credential was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// No credential was sent.
    Missing,
    /// The credential is wrong.
    Invalid,
    /// Too many failures from this client: it must wait.
    LockedOut {
        /// How long until it may try again.
        retry_after: Duration,
    },
}

/// Answers a socket whose upgrade the HTTP side refused (a foreign origin): `error` is sent
/// before anything else, then the socket is closed (1008).
pub fn refuse_upgrade(session: Session, error: ErrorShape) {
    actix_web::rt::spawn(refuse(session, None, error));
}

/// Serves an upgraded socket: the handshake, then the connection's actor and its frames.
/// `on_authenticated` runs once the client has proven itself (the connection keeps its place).
pub fn accept(
    handshake: Handshake,
    session: Session,
    stream: actix_ws::MessageStream,
    limit: FrameLimit,
    on_authenticated: Option<Box<dyn FnOnce() + Send>>,
    peer: Option<IpAddr>,
    origin: Option<String>,
) {
    let stream = stream.max_frame_size(PRE_AUTH_MAX);
    let pre_auth = PreAuth {
        limit,
        on_authenticated,
    };
    actix_web::rt::spawn(serve(handshake, session, stream, pre_auth, peer, origin));
}

/// What holds an unauthenticated connection in check: its frame limit, and the connection
/// tracker's note that it has not proven itself yet.
struct PreAuth {
    limit: FrameLimit,
    on_authenticated: Option<Box<dyn FnOnce() + Send>>,
}

/// Closes with a policy violation after sending `error` (as the answer to `id`, if known).
async fn refuse(mut session: Session, id: Option<&str>, error: ErrorShape) {
    let frame = match id {
        Some(id) => frames::response(id, &Err(error.clone())),
        None => json!({ "type": "res", "id": Value::Null, "ok": false,
            "error": { "code": error.code, "message": error.message } })
        .to_string(),
    };
    let _ = session.text(frame).await;
    let reason = CloseReason {
        code: CloseCode::Policy,
        description: Some(error.message.chars().take(120).collect()),
    };
    let _ = session.close(Some(reason)).await;
}

/// What the `connect` request asks for; [`check_connect`] then checks its credential.
pub struct Hello {
    pub id: String,
    /// The version negotiated: the highest both sides speak.
    pub protocol: u64,
    /// `auth.token`, else `auth.password`; taken out once checked.
    pub credential: Option<String>,
    pub presence: Presence,
    /// What the client asked for (all when it names none), granted as asked.
    pub scopes: ScopeSet,
}

impl std::fmt::Debug for Hello {
    /// Never prints the credential.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hello")
            .field("id", &self.id)
            .field("protocol", &self.protocol)
            .field(
                "credential",
                &self.credential.as_ref().map(|_| "<redacted>"),
            )
            .field("presence", &self.presence)
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// Parses the `connect` request (method, protocol range, role, credential, client, scopes)
/// without checking the credential: the handshake's parsing entry point, also fed by the fuzzers.
pub fn parse_connect(request: &Request) -> Result<Hello, ErrorShape> {
    if request.method != "connect" {
        return Err(ErrorShape::invalid(format!(
            "invalid request frame: the first request must be `connect`, not {:?}",
            request.method
        )));
    }
    let params = &request.params;
    let min = params["minProtocol"].as_u64().unwrap_or(OLDEST_PROTOCOL);
    let max = params["maxProtocol"]
        .as_u64()
        .unwrap_or(min.max(OLDEST_PROTOCOL));
    let Some(protocol) = frames::negotiate(min, max) else {
        return Err(ErrorShape {
            details: Some(json!({ "serverProtocol": PROTOCOL, "minProtocol": OLDEST_PROTOCOL,
                "maxProtocol": PROTOCOL })),
            ..ErrorShape::new(
                code::PROTOCOL_MISMATCH,
                format!("this gateway speaks protocols {OLDEST_PROTOCOL}..{PROTOCOL}; the client offers {min}..{max}"),
            )
        });
    };
    let role = params["role"].as_str().unwrap_or("operator");
    if role != "operator" {
        return Err(ErrorShape::invalid(format!(
            "role {role:?} is not supported (only \"operator\")"
        )));
    }
    let auth = &params["auth"];
    let credential = auth["token"].as_str().or_else(|| auth["password"].as_str());
    let client = &params["client"];
    let text = |v: &Value, default: &str| v.as_str().unwrap_or(default).chars().take(64).collect();
    let scopes = match &params["scopes"] {
        Value::Null => ScopeSet::all(),
        Value::Array(asked) => ScopeSet::requested(Some(asked.iter().filter_map(Value::as_str))),
        other => {
            return Err(ErrorShape::invalid(format!(
                "connect.params.scopes must be a list of scope names, not {other}"
            )))
        }
    };
    Ok(Hello {
        id: request.id.clone(),
        protocol,
        credential: credential.map(str::to_string),
        presence: Presence {
            client_id: text(&client["id"], "unknown"),
            version: text(&client["version"], "?"),
            platform: text(&client["platform"], "?"),
            mode: text(&client["mode"], "?"),
            connected_ms: crate::clock::now_ms(),
        },
        scopes,
    })
}

/// Checks the `connect` request: [`parse_connect`], then its credential (which is dropped).
fn check_connect(
    handshake: &Handshake,
    request: &Request,
    peer: Option<IpAddr>,
    origin: Option<&str>,
) -> Result<Hello, ErrorShape> {
    let mut hello = parse_connect(request)?;
    let header = hello.credential.take().map(|c| format!("Bearer {c}"));
    if let Err(rejection) = handshake
        .auth
        .check(peer, origin, header.as_deref(), Instant::now())
    {
        return Err(match rejection {
            Refused::LockedOut { retry_after } => ErrorShape {
                retryable: true,
                retry_after_ms: Some(retry_after.as_millis() as u64),
                ..ErrorShape::new(
                    code::AUTH_RATE_LIMITED,
                    "unauthorized: too many failed authentication attempts (retry later)",
                )
            },
            Refused::Missing => ErrorShape::new(
                code::UNAUTHORIZED,
                "unauthorized: connect.params.auth.token or .password is required",
            ),
            Refused::Invalid => ErrorShape::new(
                code::UNAUTHORIZED,
                "unauthorized: invalid token or password",
            ),
        });
    }
    Ok(hello)
}

async fn serve(
    state: Handshake,
    mut session: Session,
    mut stream: actix_ws::MessageStream,
    pre_auth: PreAuth,
    peer: Option<IpAddr>,
    origin: Option<String>,
) {
    let PreAuth {
        limit,
        on_authenticated,
    } = pre_auth;
    let control = Arc::clone(&state.control);
    let mut nonce = [0u8; 16];
    let _ = getrandom::fill(&mut nonce);
    let nonce: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
    let challenge = json!({ "nonce": nonce, "ts": crate::clock::now_ms() });
    if session
        .text(frames::event(
            "connect.challenge",
            &challenge.to_string(),
            0,
        ))
        .await
        .is_err()
    {
        return;
    }
    let first = match tokio::time::timeout(HANDSHAKE_TIMEOUT, stream.recv()).await {
        Ok(Some(Ok(Message::Text(text)))) if text.len() <= PRE_AUTH_MAX => text,
        Ok(Some(Ok(Message::Text(_)))) => {
            return refuse(
                session,
                None,
                ErrorShape::invalid(
                    "invalid request frame: larger than 64 KiB before the handshake",
                ),
            )
            .await;
        }
        Ok(Some(Ok(_))) => {
            return refuse(session, None, ErrorShape::invalid("invalid request frame: the first frame must be a JSON text frame `req connect`")).await;
        }
        Ok(Some(Err(error))) => {
            if let Some(size) = limit.tripped() {
                warn!(peer = ?peer, size, "WebSocket refused: a frame larger than 64 KiB before `connect`");
                return refuse(
                    session,
                    None,
                    ErrorShape::invalid(format!(
                        "invalid request frame: {size} bytes announced before the handshake (at most 64 KiB until `connect` succeeds)"
                    )),
                )
                .await;
            }
            debug!(%error, "WebSocket protocol error before the handshake");
            return;
        }
        Ok(None) => return,
        Err(_) => {
            return refuse(
                session,
                None,
                ErrorShape::invalid("handshake timeout: no `connect` within 15 s"),
            )
            .await;
        }
    };
    let request = match parse_request(&first) {
        Ok(request) => request,
        Err(why) => return refuse(session, None, ErrorShape::invalid(why)).await,
    };
    let hello = match check_connect(&state, &request, peer, origin.as_deref()) {
        Ok(hello) => hello,
        Err(error) => {
            warn!(peer = ?peer, code = error.code, "WebSocket connect refused: {}", error.message);
            return refuse(session, Some(&request.id), error).await;
        }
    };
    // The connect frame and its parsed params would otherwise live as long as the connection.
    let request_id = request.id.clone();
    drop(request);
    drop(first);
    let conn_id = control.connection_id();
    let (outbox, reader) = Outbox::new(control.limits.max_buffered_bytes);
    let who = format!(
        "{} {} ({}, {})",
        hello.presence.client_id,
        hello.presence.version,
        hello.presence.platform,
        hello.presence.mode
    );
    let actor = {
        // The outbox's only senders are the actor's: when it dies (a crash: connections are
        // temporary children, never restarted), the pump sees the outbox close and hangs up.
        let (state, outbox, conn_id, who) = (state.clone(), outbox, conn_id.clone(), who.clone());
        let (spec, actor) =
            ChildSpec::actor_with_capacity(conn_id.clone(), "connection", 256, move |cx| {
                let call = Call {
                    operator: Arc::clone(&state.operator),
                    control: Arc::clone(&state.control),
                    router: state.router.clone(),
                    outbox: outbox.clone(),
                    conn_id: conn_id.clone(),
                    scopes: hello.scopes,
                    watching_sessions: std::sync::atomic::AtomicBool::new(false),
                };
                ConnectionActor::new(cx.clone(), call, who.clone())
            });
        let spec = spec.restart(pincer_actors::RestartType::Temporary);
        match control.clients.ask(StartChild(spec)).await {
            Ok(Ok(_)) => actor,
            _ => {
                return refuse(
                    session,
                    Some(&request_id),
                    ErrorShape::unavailable("the gateway is stopping"),
                )
                .await;
            }
        }
    };
    // Subscribed and joined before the hello, so that its presence includes this client and no
    // event published from now on is missed.
    let mut events = control.bus.subscribe();
    control.joined(&conn_id, hello.presence);
    let hello_ok = json!({
        "type": "hello-ok",
        "protocol": hello.protocol,
        "server": { "version": env!("CARGO_PKG_VERSION"), "connId": conn_id },
        "features": { "methods": METHODS, "events": EVENTS },
        // A short presence list: actix keeps a connection's write buffer at its high-water mark,
        // so a large hello would cost memory for the connection's whole life.
        "snapshot": { "presence": control.presence_json(16), "health": state.operator.health_now(),
            "uptimeMs": state.operator.uptime_ms(),
            // OpenClaw's session defaults and state versions (Pincer has one agent, `main`).
            "sessionDefaults": { "defaultAgentId": "main", "mainKey": "main",
                "mainSessionKey": crate::sessions::key::MAIN, "scope": "per-sender" },
            "stateVersion": { "presence": 0, "health": 0 } },
        "policy": { "maxPayload": control.limits.max_payload,
            "maxBufferedBytes": control.limits.max_buffered_bytes,
            "tickIntervalMs": TICK.as_millis() as u64 },
        "auth": { "role": "operator", "scopes": hello.scopes.names() },
    });
    if session
        .text(frames::response(&hello.id, &Ok(hello_ok)))
        .await
        .is_err()
    {
        control.left(&conn_id);
        let _ = control.clients.tell(TerminateChild(conn_id));
        return;
    }
    // Debug, not info: a polling client (`openclaw logs --follow` connects once a second) would
    // otherwise fill the log it reads with its own comings and goings. Refusals stay warnings.
    debug!(conn = %conn_id, client = %who, scopes = %hello.scopes, protocol = hello.protocol,
        "operator connected over WebSocket");
    // Authenticated: frames up to `maxPayload` from now on, and the connection keeps its place.
    if let Some(authenticated) = on_authenticated {
        authenticated();
    }
    let max_payload = control.limits.max_payload;
    limit.raise(max_payload);
    stream = stream.max_frame_size(max_payload);
    let why = pump(
        &state,
        &mut session,
        &mut stream,
        reader,
        &mut events,
        &actor,
    )
    .await;
    let reason = match limit.tripped() {
        Some(size) => {
            warn!(conn = %conn_id, size, max_payload, "WebSocket frame larger than maxPayload refused");
            Some(CloseReason {
                code: CloseCode::Size,
                description: Some(format!(
                    "frame of {size} bytes is larger than maxPayload ({max_payload})"
                )),
            })
        }
        None => (why == ACTOR_STOPPED).then(|| CloseReason {
            code: CloseCode::Error,
            description: Some("internal error; reconnect".into()),
        }),
    };
    debug!(conn = %conn_id, %why, "WebSocket connection closed");
    control.left(&conn_id);
    let _ = control.clients.tell(TerminateChild(conn_id));
    let _ = session.close(reason).await;
}

/// Why a connection ends when its actor is gone.
const ACTOR_STOPPED: &str = "the connection actor stopped";

/// Moves frames until the connection ends; why it ended.
async fn pump(
    state: &Handshake,
    session: &mut Session,
    stream: &mut actix_ws::MessageStream,
    mut outbox: OutboxReader,
    events: &mut tokio::sync::broadcast::Receiver<Arc<super::bus::BusEvent>>,
    actor: &pincer_actors::ActorRef<ConnectionActor>,
) -> String {
    let mut seq = 0u64;
    let mut ticks = 0u64;
    loop {
        tokio::select! {
            frame = outbox.rx.recv() => {
                let Some(frame) = frame else { return ACTOR_STOPPED.into() };
                let len = frame.len();
                if session.text(frame).await.is_err() {
                    return "the client went away".into();
                }
                outbox.written(len);
            }
            event = events.recv() => match event {
                Ok(event) => {
                    seq += 1;
                    if session.text(frames::event(event.name, &event.payload, seq)).await.is_err() {
                        return "the client went away".into();
                    }
                    match event.name {
                        // Every fourth tick (a minute) brings a `health` event along.
                        "tick" => {
                            ticks += 1;
                            if ticks.is_multiple_of(4) {
                                seq += 1;
                                let health = serde_json::to_string(&state.operator.health_now())
                                    .unwrap_or_default();
                                if session.text(frames::event("health", &health, seq)).await.is_err() {
                                    return "the client went away".into();
                                }
                            }
                        }
                        // Told, then closed, so that the gateway's drain does not wait for us.
                        "shutdown" => {
                            let _ = session.clone().close(Some(CloseReason {
                                code: CloseCode::Restart,
                                description: Some("the gateway is stopping".into()),
                            })).await;
                            return "the gateway is stopping".into();
                        }
                        _ => {}
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    warn!(missed, "dropping a slow WebSocket client (it fell behind the event stream)");
                    let _ = session.clone().close(Some(CloseReason {
                        code: CloseCode::Again,
                        description: Some("slow consumer: fell behind the event stream".into()),
                    })).await;
                    return format!("slow consumer ({missed} events behind)");
                }
                Err(RecvError::Closed) => return "the gateway is stopping".into(),
            },
            () = outbox.overflow.notified() => {
                warn!("dropping a slow WebSocket client (maxBufferedBytes exceeded)");
                let _ = session.clone().close(Some(CloseReason {
                    code: CloseCode::Again,
                    description: Some("slow consumer: maxBufferedBytes exceeded".into()),
                })).await;
                return "slow consumer (buffer full)".into();
            }
            message = stream.recv() => match message {
                Some(Ok(Message::Text(text))) => match parse_request(&text) {
                    Ok(request) => {
                        let id = request.id.clone();
                        match actor.tell(Inbound(request)) {
                            Ok(()) => {}
                            Err(pincer_actors::SendError::Full(_)) => {
                                let busy = ErrorShape::unavailable("too many requests in flight on this connection; retry");
                                if session.text(frames::response(&id, &Err(busy))).await.is_err() {
                                    return "the client went away".into();
                                }
                            }
                            Err(pincer_actors::SendError::NotRunning(_)) => {
                                let gone = ErrorShape::unavailable("this connection's actor stopped; reconnect");
                                let _ = session.text(frames::response(&id, &Err(gone))).await;
                                return ACTOR_STOPPED.into();
                            }
                        }
                    }
                    Err(why) => {
                        let frame = json!({ "type": "res", "id": Value::Null, "ok": false,
                            "error": { "code": code::INVALID_REQUEST, "message": why } });
                        if session.text(frame.to_string()).await.is_err() {
                            return "the client went away".into();
                        }
                    }
                },
                Some(Ok(Message::Ping(bytes))) => {
                    if session.pong(&bytes).await.is_err() {
                        return "the client went away".into();
                    }
                }
                Some(Ok(Message::Close(reason))) => return format!("closed by the client ({reason:?})"),
                Some(Ok(Message::Binary(_))) => {
                    let frame = json!({ "type": "res", "id": Value::Null, "ok": false,
                        "error": { "code": code::INVALID_REQUEST, "message": "binary frames are not part of the protocol" } });
                    if session.text(frame.to_string()).await.is_err() {
                        return "the client went away".into();
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(error)) => return format!("protocol error: {error}"),
                None => return "the client went away".into(),
            },
        }
    }
}
