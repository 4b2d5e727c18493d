//! One WebSocket connection's actor, a temporary child of `/gateway/clients` named after the
//! connection id. The socket task ([`super::socket`]) tells it each request; it runs the method
//! ([`super::methods::dispatch`]) and puts the answer in the connection's [`Outbox`]. Its
//! mailbox in `/admin/actors` is the connection's queue of requests, its status says who is
//! connected and how many requests it served.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;

use actix::{Actor, ActorFutureExt, AsyncContext, Context, Handler, Message, WrapFuture};
use pincer_actors::{ChildContext, Managed};
use tokio::sync::{mpsc, Notify};

use super::frames::{response, Request};
use super::methods::{dispatch, Call};

/// Frames waiting to be written to one socket, bounded by bytes: past the limit the connection
/// is a slow consumer and the socket task drops it.
#[derive(Clone)]
pub(crate) struct Outbox {
    tx: mpsc::UnboundedSender<String>,
    buffered: Arc<AtomicUsize>,
    limit: usize,
    overflow: Arc<Notify>,
}

/// The socket task's side of an [`Outbox`].
pub(crate) struct OutboxReader {
    pub rx: mpsc::UnboundedReceiver<String>,
    pub buffered: Arc<AtomicUsize>,
    pub overflow: Arc<Notify>,
}

impl Outbox {
    pub(crate) fn new(limit: usize) -> (Outbox, OutboxReader) {
        let (tx, rx) = mpsc::unbounded_channel();
        let buffered = Arc::new(AtomicUsize::new(0));
        let overflow = Arc::new(Notify::new());
        (
            Outbox {
                tx,
                buffered: Arc::clone(&buffered),
                limit,
                overflow: Arc::clone(&overflow),
            },
            OutboxReader {
                rx,
                buffered,
                overflow,
            },
        )
    }

    /// Queues a frame; over the limit, signals overflow instead (the frame is dropped with the
    /// connection).
    pub(crate) fn send(&self, frame: String) {
        let len = frame.len();
        if self.buffered.fetch_add(len, Relaxed) + len > self.limit {
            self.buffered.fetch_sub(len, Relaxed);
            self.overflow.notify_one();
            return;
        }
        if self.tx.send(frame).is_err() {
            self.buffered.fetch_sub(len, Relaxed);
        }
    }
}

impl Outbox {
    /// Resolves once the socket task has gone (the connection is over).
    pub(crate) async fn closed(&self) {
        self.tx.closed().await;
    }
}

impl OutboxReader {
    /// Marks `len` bytes written.
    pub(crate) fn written(&self, len: usize) {
        self.buffered.fetch_sub(len, Relaxed);
    }
}

/// A request from the connection.
pub(crate) struct Inbound(pub Request);

impl Message for Inbound {
    type Result = ();
}

/// The actor.
pub(crate) struct ConnectionActor {
    cx: ChildContext,
    call: Arc<Call>,
    who: String,
    served: u64,
}

impl ConnectionActor {
    /// `call` is what its methods run with; `who` names the client in the actor's status.
    pub(crate) fn new(cx: ChildContext, call: Call, who: String) -> Self {
        ConnectionActor {
            cx,
            call: Arc::new(call),
            who,
            served: 0,
        }
    }

    fn publish(&self) {
        self.cx
            .set_status(format!("{}; {} requests", self.who, self.served));
    }
}

impl Actor for ConnectionActor {
    type Context = Context<Self>;

    fn started(&mut self, _ctx: &mut Context<Self>) {
        self.publish();
    }
}

impl Managed for ConnectionActor {}

impl Handler<Inbound> for ConnectionActor {
    type Result = ();

    fn handle(&mut self, Inbound(request): Inbound, ctx: &mut Context<Self>) {
        self.served += 1;
        self.publish();
        let id = request.id.clone();
        let call = Arc::clone(&self.call);
        ctx.spawn(
            dispatch(call, request)
                .into_actor(self)
                .map(move |result, actor, _ctx| {
                    actor.call.outbox.send(response(&id, &result));
                }),
        );
    }
}

pincer_actors::mailbox!(ConnectionActor: Inbound);
