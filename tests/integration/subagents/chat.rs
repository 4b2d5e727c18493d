//! A sub-agent spawned from a WhatsApp conversation: the parent's answer to the child's result
//! goes to that chat, once, as a message of its own (it quotes no inbound message). The chat's
//! session is sandboxed (`non-main`), so `sessions_spawn` is named in the sandbox allowlist.

use std::time::Duration;

use serde_json::json;

use super::{requests, CHILD, WAIT};
use crate::chaos::{send, sender, wait_until};
use crate::support::channels::{config, whatsapp, WA_TOKEN};
use crate::support::tools::call;
use crate::support::Gateway;
use pincer_emulators::graph::GraphApi;
use pincer_emulators::{Emulator, Reply};

#[test]
fn the_parents_answer_to_a_childs_result_reaches_the_chat_once() {
    let provider = Emulator::openai();
    provider.push(call(
        "c1",
        "sessions_spawn",
        json!({ "task": "look it up", "label": "lookup" }),
    ));
    provider.push(Reply::text(&["asking a helper"]));
    provider.push(Reply::text(&["the helper found it: 1969"]));
    provider.push_for(CHILD, Duration::ZERO, Reply::text(&["1969"]));
    let graph = GraphApi::start(WA_TOKEN);
    let text = config(&provider, &[whatsapp(&graph, "open", "'*'", "")]).replacen(
        "{ agent:",
        "{ agents: { defaults: { sandbox: { allowlist: ['read', 'sessions_spawn'] } } }, agent:",
        1,
    );
    let gateway = Gateway::start(Some(&text));
    let alice = sender("19", 1);
    let wamid = send(&gateway, &alice, 1, "when was the moon landing?");
    let all = requests(&provider, 4);
    assert!(
        all[0].body.to_string().contains("sessions_spawn"),
        "offered to the chat's session"
    );
    let sent = wait_until("both answers in the chat", WAIT, || {
        let sends = graph.sends();
        (sends.len() >= 2).then_some(sends)
    });
    std::thread::sleep(Duration::from_secs(1));
    let sent_now = graph.sends();
    assert_eq!(sent_now.len(), 2, "{sent_now:?}");
    let first = &sent[0];
    assert_eq!(first.body, "asking a helper");
    assert_eq!(first.context.as_deref(), Some(wamid.as_str()));
    let second = &sent_now[1];
    assert_eq!(second.body, "the helper found it: 1969");
    assert_eq!(second.to, alice);
    assert_eq!(second.context, None);
}
