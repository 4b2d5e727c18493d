//! The channels as the agent's `message` tool sees them: a [`ChatSender`] over the running
//! channels' actors, so a tool's send waits at the channel's gate (its rate limit, its pauses
//! after a throttle) and is retried like a reply. Built from the actors' addresses, which exist
//! as soon as their specs do, so the gateway builds the channels before the engine and hands
//! this to the toolbox at construction.

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use pincer_actors::ActorRef;

use super::actor::{ChannelActor, Notify, SendFile};
use crate::sessions::media::{ChatSender, OutboundFile, SendError};

/// The running channels' actors, by name.
pub(crate) struct ChannelSender {
    pub(crate) channels: Vec<(&'static str, ActorRef<ChannelActor>)>,
}

impl ChannelSender {
    fn actor(&self, channel: &str) -> Result<ActorRef<ChannelActor>, SendError> {
        self.channels
            .iter()
            .find(|(name, _)| *name == channel)
            .map(|(_, actor)| actor.clone())
            .ok_or_else(|| SendError::NoChannel(channel.to_string()))
    }
}

/// Turns the actor's answer (or its unavailability) into a [`SendError`].
fn outcome(
    channel: &str,
    answer: Result<Result<(), String>, pincer_actors::AskError>,
) -> Result<(), SendError> {
    match answer {
        Ok(Ok(())) => Ok(()),
        Ok(Err(why)) => Err(SendError::Failed(why)),
        Err(error) => Err(SendError::Failed(format!(
            "the {channel} channel is unavailable: {error}"
        ))),
    }
}

impl ChatSender for ChannelSender {
    fn send_text(
        &self,
        channel: &str,
        to: &str,
        text: String,
    ) -> BoxFuture<'static, Result<(), SendError>> {
        let actor = match self.actor(channel) {
            Ok(actor) => actor,
            Err(error) => return async move { Err(error) }.boxed(),
        };
        let asking = actor.ask(Notify {
            to: to.to_string(),
            text,
        });
        let channel = channel.to_string();
        async move { outcome(&channel, asking.await) }.boxed()
    }

    fn send_file(
        &self,
        channel: &str,
        to: &str,
        file: OutboundFile,
    ) -> BoxFuture<'static, Result<(), SendError>> {
        let actor = match self.actor(channel) {
            Ok(actor) => actor,
            Err(error) => return async move { Err(error) }.boxed(),
        };
        let asking = actor.ask(SendFile {
            to: to.to_string(),
            file,
        });
        let channel = channel.to_string();
        async move { outcome(&channel, asking.await) }.boxed()
    }
}
