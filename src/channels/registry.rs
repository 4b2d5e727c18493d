//! The channels Pincer has: [`PLUGINS`], declared one line per channel by the `channels!` call
//! in `src/channels/mod.rs`. Everything that goes over
//! every channel (the hub, the webhook routes, readiness, `pincer doctor`, `pincer security
//! audit`, `pincer onboard`, the names the CLI and the API accept) reads this list.

use std::sync::LazyLock;

use super::plugin::{ChannelPlugin, Webhook};

/// Every channel, in the order they are started, asked about during onboarding and reported.
pub(crate) static PLUGINS: &[&dyn ChannelPlugin] =
    &[&super::whatsapp::WhatsApp, &super::telegram::Telegram];

/// Channel names the CLI and the API accept (`KNOWN.contains(&name)`, `KNOWN.join(", ")`),
/// in [`PLUGINS`] order.
pub(crate) static KNOWN: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    PLUGINS
        .iter()
        .map(|plugin| plugin.labels().channel)
        .collect()
});

/// The channel called `name`.
pub(crate) fn find(name: &str) -> Option<&'static dyn ChannelPlugin> {
    PLUGINS
        .iter()
        .copied()
        .find(|plugin| plugin.labels().channel == name)
}

/// Every channel's webhook routes, for the gateway's route table. Public routes: each checks its
/// platform's signature or secret. Their handlers read the hub as `web::Data<Channels>`.
pub(crate) fn webhooks() -> impl Iterator<Item = &'static Webhook> {
    PLUGINS.iter().flat_map(|plugin| plugin.webhooks())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_channel_has_a_config_section_of_its_name() {
        let config = crate::config::Config::default();
        for name in KNOWN.iter() {
            assert!(
                config.channels.section(name).is_some(),
                "channels.{name} is not in the config schema"
            );
        }
        let sections: Vec<&str> = config.channels.sections().map(|(name, _)| name).collect();
        assert_eq!(
            sections,
            KNOWN.as_slice(),
            "one config section per channel, in the same order"
        );
        assert_eq!(*KNOWN, ["whatsapp", "telegram"]);
        assert!(find("whatsapp").is_some() && find("signal").is_none());
    }
}
