//! The gateway's actor system and web actor, run in-process on 127.0.0.1:0: an actor added under
//! `/gateway/sessions` is blocked, messages pile up, and `/admin/actors/{id}` shows its queued count
//! rise and fall back to 0 once it is released.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use actix::{Actor, AsyncContext, Context, Handler, Message, WrapFuture};
use pincer::config::credentials::{Credential, CredentialOrigin};
use pincer::config::{AuthMode, Config, Secret};
use pincer_actors::{ChildSpec, Managed, StartChild};
use serde_json::Value;
use tokio::sync::oneshot;

use crate::support::{http_get, tree_paths};

struct Probe;

impl Actor for Probe {
    type Context = Context<Self>;
}

impl Managed for Probe {}

/// Holds the mailbox until released, as a session does while a turn is running.
struct Hold(oneshot::Receiver<()>);
impl Message for Hold {
    type Result = ();
}
impl Handler<Hold> for Probe {
    type Result = ();
    fn handle(&mut self, Hold(release): Hold, ctx: &mut Context<Self>) {
        ctx.wait(
            async move {
                let _ = release.await;
            }
            .into_actor(self),
        );
    }
}

struct Note;
impl Message for Note {
    type Result = ();
}
impl Handler<Note> for Probe {
    type Result = ();
    fn handle(&mut self, _: Note, _: &mut Context<Self>) {}
}

pincer_actors::mailbox!(Probe: Hold, Note);

const TOKEN: &str = "test-token-0123456789";

async fn get(addr: std::net::SocketAddr, path: &str) -> Value {
    let path = path.to_string();
    let response = actix_web::rt::task::spawn_blocking(move || {
        http_get(
            addr,
            &path,
            &[("Authorization", &format!("Bearer {TOKEN}"))],
        )
    })
    .await
    .expect("request thread");
    assert_eq!(response.status, 200, "{}", response.text);
    response.body
}

async fn poll_until(
    addr: std::net::SocketAddr,
    path: &str,
    what: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let body = get(addr, path).await;
        if check(&body) {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; last answer: {body}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
}

#[actix_web::test]
async fn queued_count_rises_while_an_actor_is_blocked_and_returns_to_zero() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let credential = Credential {
        mode: AuthMode::Token,
        secret: Some(Secret::new(TOKEN)),
        origin: CredentialOrigin::Configured,
    };
    let state_dir = tempfile::tempdir().expect("state dir");
    let config = Config::default();
    let mut gateway = pincer::gateway::start(pincer::gateway::StartParts {
        safe_mode: None,
        config: &config,
        credential: &credential,
        listener,
        tls: None,
        state_dir: state_dir.path(),
        config_file: None,
        tools: pincer::agent::tools::ToolRegistry::default(),
    })
    .expect("gateway starts");

    let (spec, probe) = ChildSpec::actor("probe", "test", |_| Probe);
    let id = gateway
        .tree
        .sessions
        .ask(StartChild(spec))
        .await
        .expect("sessions supervisor reachable")
        .expect("probe started");

    let tree = get(addr, "/admin/actors").await;
    let mut paths = Vec::new();
    tree_paths(&tree["actors"][0], &mut paths);
    assert!(
        paths.contains(&"/gateway/sessions/probe".to_string()),
        "{paths:?}"
    );

    let (release, held) = oneshot::channel();
    probe.tell(Hold(held)).expect("accepted");
    for _ in 0..5 {
        probe.tell(Note).expect("accepted");
    }
    let path = format!("/admin/actors/{id}");
    let blocked = poll_until(addr, &path, "5 queued", |a| a["mailbox"]["queued"] == 5).await;
    assert_eq!(
        blocked["mailbox"]["max_queued"].as_u64(),
        Some(6),
        "{blocked}"
    );

    release.send(()).expect("probe is waiting");
    let drained = poll_until(addr, &path, "queue drained", |a| {
        a["mailbox"]["queued"] == 0
    })
    .await;
    assert_eq!(drained["mailbox"]["handled"], 6, "{drained}");
    assert_eq!(drained["mailbox"]["dropped"], 0, "{drained}");

    let reason = gateway.stop().await;
    assert_eq!(reason, pincer_actors::ExitReason::Shutdown);
}
