//! Unit tests of the channel actor (`actor.rs`).

use super::replier;

#[test]
fn the_first_member_from_this_channel_replies() {
    let members: Vec<String> = ["telegram-3-1", "whatsapp-7-2", "whatsapp-9-3"]
        .iter()
        .map(|m| m.to_string())
        .collect();
    assert_eq!(replier("whatsapp", &members), Some("whatsapp-7-2"));
    assert_eq!(replier("telegram", &members), Some("telegram-3-1"));
    assert_eq!(replier("whats", &members), None, "a whole channel name");
    assert_eq!(replier("whatsapp", &["t17-1".to_string()]), None);
}
