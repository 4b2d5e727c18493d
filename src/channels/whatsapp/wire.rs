//! The inbound message objects of the Cloud API webhook (`value.messages[]`, `value.contacts[]`)
//! as Meta documents them, field names exactly as on the wire. Every kind's payload is an
//! optional field named after its `type`; what each becomes is decided in
//! [`super::message_kinds`]. Each element is deserialised on its own (from a `serde_json::Value`)
//! so that one malformed message does not fail its batch.

use serde::Deserialize;

use super::webhook::GraphError;

/// One element of `value.contacts`. `wa_id` is absent for a user who adopted a username and
/// does not share a phone number (2026); `user_id` is the business-scoped user id (BSUID).
#[derive(Debug, Deserialize)]
pub(super) struct WireContact {
    #[serde(default)]
    pub wa_id: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub profile: Option<WireProfile>,
}

#[derive(Debug, Deserialize)]
pub(super) struct WireProfile {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
}

/// One element of `value.messages`: who sent it, where, and its payload.
#[derive(Debug, Deserialize)]
pub(super) struct WireMessage {
    /// The sender's phone number; absent for a username-only user.
    #[serde(default)]
    pub from: Option<String>,
    /// The sender's business-scoped user id.
    #[serde(default)]
    pub from_user_id: Option<String>,
    pub id: String,
    /// Set on messages in a group made with the Groups API.
    #[serde(default)]
    pub group_id: Option<String>,
    /// A click-to-WhatsApp ad the user came from.
    #[serde(default)]
    pub referral: Option<Referral>,
    #[serde(flatten)]
    pub payload: Payload,
}

/// What a message says: its `type` and the object of that name. Shared with the message nested
/// in an `edit`, which has no sender or id of its own.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Payload {
    #[serde(rename = "type")]
    pub kind: String,
    pub context: Option<Context>,
    pub errors: Vec<GraphError>,
    pub text: Option<Text>,
    pub image: Option<Media>,
    pub video: Option<Media>,
    pub audio: Option<Media>,
    pub document: Option<Media>,
    pub sticker: Option<Media>,
    pub location: Option<Location>,
    pub contacts: Option<Vec<ContactCard>>,
    pub order: Option<Order>,
    pub interactive: Option<Interactive>,
    pub button: Option<QuickReply>,
    pub reaction: Option<Reaction>,
    pub system: Option<System>,
    pub edit: Option<Box<Edit>>,
    pub revoke: Option<Revoke>,
    pub unsupported: Option<Unsupported>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Text {
    pub body: String,
}

/// The quoted message: `id` is its wamid, `from` who sent it (the business number when the user
/// replies to one of the bot's messages).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Context {
    pub id: Option<String>,
    pub from: Option<String>,
    pub forwarded: bool,
    pub frequently_forwarded: bool,
}

/// `image`, `video`, `audio`, `document`, `sticker`.
#[derive(Debug, Deserialize)]
pub(super) struct Media {
    pub id: String,
    #[serde(default)]
    pub mime_type: Option<String>,
    #[serde(default)]
    pub sha256: Option<String>,
    #[serde(default)]
    pub caption: Option<String>,
    /// Documents.
    #[serde(default)]
    pub filename: Option<String>,
    /// Audio: a voice note recorded in the app.
    #[serde(default)]
    pub voice: bool,
    /// Stickers.
    #[serde(default)]
    pub animated: bool,
}

#[derive(Debug, Deserialize)]
pub(super) struct Location {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
}

/// One shared contact card (`contacts[]` of a `contacts` message).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ContactCard {
    pub name: Option<CardName>,
    pub phones: Vec<CardPhone>,
    pub emails: Vec<CardEmail>,
    pub org: Option<CardOrg>,
    pub urls: Vec<CardUrl>,
    pub birthday: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct CardName {
    pub formatted_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct CardPhone {
    pub phone: Option<String>,
    pub wa_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct CardEmail {
    pub email: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct CardOrg {
    pub company: Option<String>,
    pub department: Option<String>,
    pub title: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct CardUrl {
    pub url: Option<String>,
}

/// A cart sent from a catalog.
#[derive(Debug, Deserialize)]
pub(super) struct Order {
    #[serde(default)]
    pub catalog_id: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub product_items: Vec<ProductItem>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ProductItem {
    pub product_retailer_id: String,
    #[serde(default)]
    pub quantity: Option<serde_json::Value>,
    #[serde(default)]
    pub item_price: Option<serde_json::Value>,
    #[serde(default)]
    pub currency: Option<String>,
}

/// A reply to an interactive message: `type` is `button_reply`, `list_reply` or `nfm_reply`.
#[derive(Debug, Deserialize)]
pub(super) struct Interactive {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub button_reply: Option<Choice>,
    #[serde(default)]
    pub list_reply: Option<Choice>,
    #[serde(default)]
    pub nfm_reply: Option<FlowReply>,
}

/// A reply button or list row the user chose.
#[derive(Debug, Deserialize)]
pub(super) struct Choice {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// A WhatsApp Flow's answer.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct FlowReply {
    pub name: Option<String>,
    pub body: Option<String>,
    pub response_json: Option<String>,
}

/// A quick-reply button of a template (`type: "button"`).
#[derive(Debug, Deserialize)]
pub(super) struct QuickReply {
    pub text: String,
    #[serde(default)]
    pub payload: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Reaction {
    pub message_id: String,
    /// Absent or empty when the reaction was removed.
    #[serde(default)]
    pub emoji: Option<String>,
}

/// A notice: the user changed number (`user_changed_number`, older `customer_changed_number`),
/// their BSUID changed (`user_changed_user_id`), their identity key changed
/// (`customer_identity_changed`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct System {
    pub body: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub wa_id: Option<String>,
    pub new_wa_id: Option<String>,
    pub user_id: Option<String>,
    pub new_user_id: Option<String>,
}

/// An edited message (Coexistence numbers): the message as it now reads.
#[derive(Debug, Deserialize)]
pub(super) struct Edit {
    pub original_message_id: String,
    #[serde(default)]
    pub message: Payload,
}

/// A message its sender deleted (Coexistence numbers).
#[derive(Debug, Deserialize)]
pub(super) struct Revoke {
    pub original_message_id: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Unsupported {
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// A click-to-WhatsApp ad.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Referral {
    pub source_url: Option<String>,
    pub source_type: Option<String>,
    pub headline: Option<String>,
    pub body: Option<String>,
}
