//! The contract between an actix actor and the kit.

use actix::{Actor, ActorContext, Context, Handler, Message};

use crate::fault::InjectPanic;
use crate::mailbox::Envelope;

/// An actix actor that the kit can start, instrument, supervise and stop. Implement it (usually with
/// an empty body) and declare the actor's messages with [`mailbox!`](crate::mailbox!).
pub trait Managed:
    Actor<Context = Context<Self>> + Handler<Envelope<Shutdown>> + Handler<Envelope<InjectPanic>>
{
    /// Asked to stop by its supervisor. The request waits in the mailbox behind the messages sent
    /// before it, so they are handled first. The default stops at once; actors with something to
    /// flush or close override it and call `ctx.stop()` when done (within their shutdown timeout,
    /// after which the kit drops them).
    fn shutdown(&mut self, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

/// The kit's request to stop gracefully.
#[derive(Debug, Clone, Copy)]
pub struct Shutdown;

impl Message for Shutdown {
    type Result = ();
}
