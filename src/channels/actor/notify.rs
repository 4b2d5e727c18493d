//! Sends outside a conversation ([`Notify`]: pairing approvals with `--notify`, operator
//! sends; [`SendFile`]: the `message` tool's and `pincer message send --file`'s files),
//! through the channel's send gate like its replies.

use std::rc::Rc;
use std::sync::Arc;

use actix::{Context, Handler, Message, ResponseActFuture, WrapFuture};

use super::super::chunk;
use super::super::delivery::{send_reply, Reply};
use super::ChannelActor;

/// Sends a text outside a conversation (pairing approvals with `--notify`, operator sends).
pub struct Notify {
    pub to: String,
    pub text: String,
}

impl Message for Notify {
    type Result = Result<(), String>;
}

impl Handler<Notify> for ChannelActor {
    type Result = ResponseActFuture<Self, Result<(), String>>;

    fn handle(&mut self, notify: Notify, _ctx: &mut Context<Self>) -> Self::Result {
        let reply = Reply {
            chunks: chunk::split(&notify.text, self.parts.settings.chunk_limit),
            to: notify.to,
            quote: None,
            tag: None,
        };
        let sending = send_reply(
            Arc::clone(&self.parts.transport),
            Rc::clone(&self.gate),
            Arc::clone(&self.parts.stats),
            reply,
        );
        Box::pin(
            async move { sending.await.map_err(|failure| failure.why().to_string()) }
                .into_actor(self),
        )
    }
}

/// Sends a file outside a conversation (the agent's `message` tool, `pincer message send
/// --file`), through the channel's gate so its rate limits and retries apply.
pub struct SendFile {
    pub to: String,
    pub file: super::super::transport::OutboundFile,
}

impl Message for SendFile {
    type Result = Result<(), String>;
}

impl Handler<SendFile> for ChannelActor {
    type Result = ResponseActFuture<Self, Result<(), String>>;

    fn handle(
        &mut self,
        SendFile { to, file }: SendFile,
        _ctx: &mut Context<Self>,
    ) -> Self::Result {
        let sending = super::super::delivery::send_file(
            Arc::clone(&self.parts.transport),
            Rc::clone(&self.gate),
            Arc::clone(&self.parts.stats),
            to,
            file,
        );
        Box::pin(
            async move { sending.await.map_err(|failure| failure.why().to_string()) }
                .into_actor(self),
        )
    }
}
