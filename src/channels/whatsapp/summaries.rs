//! The texts the agent reads for WhatsApp message kinds that are data rather than words: a
//! shared location, contact cards (a vCard-style summary), a catalog order, a flow's answer, an
//! ad the user came from. Pure functions of the wire objects in [`super::wire`].

use std::fmt::Write as _;

use super::wire::{ContactCard, FlowReply, Location, Order, Referral};

/// `[location] 37.4847, -122.1483 — Philz Coffee, 101 Forest Ave, Palo Alto (https://…)`.
pub(super) fn location(place: &Location) -> String {
    let mut text = format!("[location] {}, {}", place.latitude, place.longitude);
    let words: Vec<&str> = [place.name.as_deref(), place.address.as_deref()]
        .into_iter()
        .flatten()
        .filter(|s| !s.trim().is_empty())
        .collect();
    if !words.is_empty() {
        let _ = write!(text, " — {}", words.join(", "));
    }
    if let Some(url) = place.url.as_deref().filter(|u| !u.is_empty()) {
        let _ = write!(text, " ({url})");
    }
    text
}

/// One block per card: name, phones (with their WhatsApp id), emails, organisation, URLs.
pub(super) fn contacts(cards: &[ContactCard]) -> String {
    let mut text = String::from(if cards.len() == 1 {
        "[contact card]"
    } else {
        "[contact cards]"
    });
    for card in cards {
        text.push('\n');
        let name = card.name.as_ref().and_then(|n| {
            n.formatted_name.clone().or_else(|| {
                let parts: Vec<&str> = [n.first_name.as_deref(), n.last_name.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect();
                (!parts.is_empty()).then(|| parts.join(" "))
            })
        });
        let _ = write!(text, "Name: {}", name.as_deref().unwrap_or("(no name)"));
        for phone in &card.phones {
            let Some(number) = phone.phone.as_deref().or(phone.wa_id.as_deref()) else {
                continue;
            };
            let _ = write!(text, "\nPhone{}: {number}", label(phone.kind.as_deref()));
            if let Some(wa_id) = &phone.wa_id {
                let _ = write!(text, " (WhatsApp {wa_id})");
            }
        }
        for email in &card.emails {
            if let Some(address) = &email.email {
                let _ = write!(text, "\nEmail{}: {address}", label(email.kind.as_deref()));
            }
        }
        if let Some(org) = &card.org {
            let parts: Vec<&str> = [
                org.company.as_deref(),
                org.department.as_deref(),
                org.title.as_deref(),
            ]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect();
            if !parts.is_empty() {
                let _ = write!(text, "\nOrg: {}", parts.join(", "));
            }
        }
        for url in card.urls.iter().filter_map(|u| u.url.as_deref()) {
            let _ = write!(text, "\nURL: {url}");
        }
        if let Some(birthday) = &card.birthday {
            let _ = write!(text, "\nBirthday: {birthday}");
        }
    }
    text
}

fn label(kind: Option<&str>) -> String {
    kind.filter(|k| !k.is_empty())
        .map(|k| format!(" ({k})"))
        .unwrap_or_default()
}

/// `[order from catalog 123] 2 × SKU-1 at 12.99 USD; 1 × SKU-2 — note: "…"`.
pub(super) fn order(order: &Order) -> String {
    let mut text = match &order.catalog_id {
        Some(catalog) => format!("[order from catalog {catalog}]"),
        None => "[order]".to_string(),
    };
    let items: Vec<String> = order
        .product_items
        .iter()
        .map(|item| {
            let quantity = item.quantity.as_ref().map_or("1".into(), plain);
            let mut line = format!("{quantity} × {}", item.product_retailer_id);
            if let Some(price) = &item.item_price {
                let _ = write!(line, " at {}", plain(price));
                if let Some(currency) = &item.currency {
                    let _ = write!(line, " {currency}");
                }
            }
            line
        })
        .collect();
    if !items.is_empty() {
        let _ = write!(text, " {}", items.join("; "));
    }
    if let Some(note) = order.text.as_deref().filter(|t| !t.is_empty()) {
        let _ = write!(text, " — note: {note}");
    }
    text
}

/// A JSON number or string as written (`2`, `12.99`, `"3"` → `3`).
fn plain(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `[flow reply: <name>] <body>` and the flow's JSON answer on the next line.
pub(super) fn flow(reply: &FlowReply) -> String {
    let mut text = format!(
        "[flow reply: {}]",
        reply.name.as_deref().unwrap_or("flow")
    );
    if let Some(body) = reply.body.as_deref().filter(|b| !b.is_empty()) {
        let _ = write!(text, " {body}");
    }
    if let Some(json) = reply.response_json.as_deref().filter(|j| !j.is_empty()) {
        let _ = write!(text, "\n{json}");
    }
    text
}

/// `[came from an ad: <headline> — <source_url>]`.
pub(super) fn referral(ad: &Referral) -> String {
    let what = ad
        .headline
        .as_deref()
        .or(ad.body.as_deref())
        .unwrap_or("an ad");
    match ad.source_url.as_deref() {
        Some(url) => format!("[came from an ad: {what} — {url}]"),
        None => format!("[came from an ad: {what}]"),
    }
}
