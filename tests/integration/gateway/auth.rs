//! Authentication of the admin endpoint and the failed-attempt lockout, against the real binary.

use crate::support::*;

#[test]
fn admin_requires_the_token() {
    let gateway = Gateway::start(None);
    let missing = gateway.get("/admin/actors", &[]);
    assert_eq!(missing.status, 401);
    assert_eq!(missing.body["error"]["code"], "UNAUTHORIZED");
    assert!(missing
        .header("www-authenticate")
        .is_some_and(|v| v.starts_with("Bearer")));
    assert_eq!(
        gateway
            .get("/admin/actors", &[("Authorization", "Bearer wrong")])
            .status,
        401
    );
    assert_eq!(gateway.get_authed("/admin/actors").status, 200);
}

/// Ten failures from a browser origin lock browsers on loopback out for five minutes (429 with
/// Retry-After), even with the right token; the loopback CLI (no Origin) is unaffected.
#[test]
fn repeated_failures_from_a_browser_origin_lock_it_out() {
    let gateway = Gateway::start(None);
    let origin = ("Origin", "https://attacker.example");
    for attempt in 1..=10 {
        let response = gateway.get(
            "/admin/actors",
            &[origin, ("Authorization", "Bearer guess")],
        );
        assert_eq!(response.status, 401, "attempt {attempt}");
    }
    let bearer = format!("Bearer {}", gateway.token());
    let locked = gateway.get("/admin/actors", &[origin, ("Authorization", &bearer)]);
    assert_eq!(locked.status, 429, "{}", locked.text);
    assert_eq!(locked.body["error"]["code"], "AUTH_RATE_LIMITED");
    let retry_after: u64 = locked
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!(
        (290..=300).contains(&retry_after),
        "Retry-After {retry_after}"
    );

    assert_eq!(
        gateway
            .get("/admin/actors", &[("Authorization", &bearer)])
            .status,
        200,
        "plain loopback is exempt"
    );
    // Browser origins from loopback share one counter: a page cannot rotate origins (or
    // sub-domains) for fresh guesses.
    let other = gateway.get(
        "/admin/actors",
        &[("Origin", "http://127.0.0.1:1"), ("Authorization", &bearer)],
    );
    assert_eq!(other.status, 429, "another origin is in the same bucket");
}

/// With `exemptLoopback: false`, loopback clients are counted too; password mode via the seed's
/// `CLAWDBOT_GATEWAY_PASSWORD`.
#[test]
fn loopback_can_be_made_subject_to_lockout_and_password_mode_works() {
    let config = r#"{
        // password auth, loopback not exempt, a short fuse
        gateway: { auth: { mode: "password", rateLimit: { maxAttempts: 3, exemptLoopback: false } } },
    }"#;
    let gateway = Gateway::start_with(
        Some(config),
        &[("CLAWDBOT_GATEWAY_PASSWORD", "correct horse battery")],
    );
    assert_eq!(
        gateway
            .get(
                "/admin/actors",
                &[("Authorization", "Bearer correct horse battery")]
            )
            .status,
        200
    );
    for _ in 0..3 {
        assert_eq!(
            gateway
                .get("/admin/actors", &[("Authorization", "Bearer nope")])
                .status,
            401
        );
    }
    let locked = gateway.get(
        "/admin/actors",
        &[("Authorization", "Bearer correct horse battery")],
    );
    assert_eq!(locked.status, 429);
    assert_eq!(
        gateway.get("/healthz", &[]).status,
        200,
        "probes stay open during a lockout"
    );
}

/// `gateway.rateLimiting` throttles a client beyond its burst (429 + Retry-After); probes stay open.
#[test]
fn request_rate_limiting_throttles_bursts_but_not_probes() {
    let gateway = Gateway::start(Some(
        "{ gateway: { rateLimiting: { enabled: true, requestsPerMinute: 6, burstSize: 3 } } }",
    ));
    for attempt in 1..=3 {
        assert_eq!(
            gateway.get_authed("/admin/actors").status,
            200,
            "request {attempt} is within the burst"
        );
    }
    let throttled = gateway.get_authed("/admin/actors");
    assert_eq!(throttled.status, 429, "{}", throttled.text);
    assert_eq!(throttled.body["error"]["code"], "RATE_LIMITED");
    let retry_after: u64 = throttled
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=10).contains(&retry_after), "Retry-After {retry_after}");
    for _ in 0..5 {
        assert_eq!(gateway.get("/healthz", &[]).status, 200);
    }
}
