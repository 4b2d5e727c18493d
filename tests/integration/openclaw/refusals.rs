//! What the CLI shows when the gateway says no: a wrong token is refused at `connect` with the
//! CLI's auth error, and a method the gateway lacks gets a clear error code rather than an
//! empty answer.

use serde_json::json;

use super::cli::{each_way, OpenClaw, Target, Way};
use crate::support::Gateway;

#[test]
fn a_wrong_token_is_refused_with_the_auth_error() {
    let Some(cli) = OpenClaw::find() else { return };
    let gateway = Gateway::start(None);
    let wrong = Target::of(&gateway).with_token("not-the-token");
    each_way(&Way::ALL, |way| {
        let run = cli.call(&wrong, way, "health", &json!({}));
        assert_eq!(run.code, Some(1), "({way:?}){run}");
        let answer = run.json();
        assert_eq!(answer["ok"], false, "({way:?}){run}");
        assert_eq!(answer["error"]["code"], "UNAUTHORIZED", "({way:?}){run}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("unauthorized")),
            "({way:?}){run}"
        );
    });
    // A command that renders, not a raw call: the same reason, on stderr.
    let run = cli.run(&wrong, Way::Env, &["health"]);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(
        run.stderr.contains("Reason: unauthorized"),
        "no auth reason:{run}"
    );
}

#[test]
fn a_method_the_gateway_lacks_gets_invalid_request() {
    let Some(cli) = OpenClaw::find() else { return };
    let gateway = Gateway::start(None);
    let run = cli.call(
        &Target::of(&gateway),
        Way::Flags,
        "no.such.method",
        &json!({}),
    );
    assert_eq!(run.code, Some(1), "{run}");
    let answer = run.json();
    assert_eq!(answer["error"]["code"], "INVALID_REQUEST", "{run}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("no.such.method")),
        "the error does not name the method:{run}"
    );
}
