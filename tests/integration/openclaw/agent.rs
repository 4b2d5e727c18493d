//! `openclaw agent --message … --session-id …`: one turn through the gateway, as scripts run
//! it. The answer is printed; Pincer stores the turn in that session; the model received it.

use pincer_emulators::{Emulator, Reply};

use super::cli::{each_way, OpenClaw, Target, Way};
use super::{model_gateway, pincer_history, pincer_session_named, texts_of};
use crate::support::agent::contents;

#[test]
fn agent_prints_the_answer_and_stores_the_turn_in_the_session() {
    let Some(cli) = OpenClaw::find() else { return };
    let emulator = Emulator::openai();
    let gateway = model_gateway(&emulator);
    let target = Target::of(&gateway);
    each_way(&Way::NO_FLAGS, |way| {
        let session = format!("oc-agent-{way:?}").to_lowercase();
        let question = format!("what is the answer ({session})?");
        let answer = format!("forty-two for {session}");
        emulator.push(Reply::text(&[&answer]));
        let run = cli.run(
            &target,
            way,
            &[
                "agent",
                "--message",
                &question,
                "--session-id",
                &session,
                "--timeout",
                "60",
            ],
        );
        run.ok();
        assert!(
            run.stdout.contains(&answer),
            "the answer is not printed ({way:?}):{run}"
        );
        let received = emulator.requests();
        assert!(
            received
                .iter()
                .any(|r| contents(&r.body).last() == Some(&question)),
            "the model never got the question ({way:?}):{run}"
        );
        // Pincer's own API: the session is listed, and its transcript holds the turn.
        let key = pincer_session_named(&gateway, &session, &format!("({way:?}){run}"));
        let messages = pincer_history(&gateway, &key, 2);
        assert_eq!(texts_of(&messages, "user"), [question.as_str()], "{way:?}");
        assert_eq!(
            texts_of(&messages, "assistant"),
            [answer.as_str()],
            "{way:?}"
        );
    });
}
