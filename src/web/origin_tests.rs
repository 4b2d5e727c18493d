//! Unit tests of the origin policy: its decisions (origin parsing is tested in `config::origin`).

use super::*;

fn facts<'a>(origin: Option<&'a str>, host: &'a str, state_changing: bool) -> RequestFacts<'a> {
    RequestFacts {
        origin: origin.map(Some),
        host: Some(host),
        fetch_metadata: false,
        state_changing,
    }
}

#[test]
fn non_browser_requests_pass_whatever_their_host() {
    let policy = OriginPolicy::new(false, &[], None);
    assert_eq!(policy.check(&facts(None, "pincer:18789", true)), Ok(()));
    assert_eq!(policy.check(&facts(None, "evil.example", true)), Ok(()));
}

#[test]
fn with_auth_none_every_host_is_checked() {
    let policy = OriginPolicy::new(false, &["http://mybox.lan:18789".into()], None)
        .checking_every_host(true);
    // A rebound page's plain-http GET: no Origin, no fetch metadata.
    let refusal = policy
        .check(&facts(None, "evil.example:18789", false))
        .expect_err("rebound read");
    assert_eq!(refusal.code(), HOST_NOT_ALLOWED);
    for host in ["127.0.0.1:18789", "localhost:18789", "mybox.lan:18789"] {
        assert_eq!(policy.check(&facts(None, host, true)), Ok(()), "{host}");
    }
}

#[test]
fn the_gateways_own_page_passes_and_other_pages_do_not() {
    let policy = OriginPolicy::new(false, &[], None);
    let own = [
        ("http://127.0.0.1:18789", "127.0.0.1:18789"),
        ("http://localhost:18789", "localhost:18789"),
        ("http://localhost:18789", "127.0.0.1:18789"),
        ("http://[::1]:18789", "[::1]:18789"),
        ("http://192.168.1.5:18789", "192.168.1.5:18789"),
        ("http://LOCALHOST:18789", "LocalHost:18789"),
        ("http://127.0.0.1", "127.0.0.1"),
        ("http://127.0.0.1:80", "127.0.0.1"),
    ];
    for (origin, host) in own {
        assert_eq!(
            policy.check(&facts(Some(origin), host, true)),
            Ok(()),
            "{origin} -> {host}"
        );
    }
    let foreign = [
        ("https://evil.example", "127.0.0.1:18789"),
        ("http://127.0.0.1:8080", "127.0.0.1:18789"),
        ("http://localhost:3000", "127.0.0.1:18789"),
        ("https://127.0.0.1:18789", "127.0.0.1:18789"),
        ("http://10.0.0.66:18789", "10.0.0.5:18789"),
        ("http://10.0.0.66:18789", "127.0.0.1:18789"),
        ("null", "127.0.0.1:18789"),
    ];
    for (origin, host) in foreign {
        let refusal = policy
            .check(&facts(Some(origin), host, true))
            .expect_err(origin);
        assert_eq!(refusal.code(), ORIGIN_NOT_ALLOWED);
        let message = refusal.to_string();
        assert!(message.contains(ALLOWED_ORIGINS_KEY), "{message}");
        let shown = Origin::parse(origin).unwrap().to_string();
        assert!(message.contains(&shown), "{message}");
    }
    // Reads with a foreign origin are answered (the page cannot read them).
    assert_eq!(
        policy.check(&facts(
            Some("https://evil.example"),
            "127.0.0.1:18789",
            false
        )),
        Ok(())
    );
}

#[test]
fn dns_rebinding_is_refused_by_the_host_check() {
    let policy = OriginPolicy::new(false, &[], None);
    // The rebinding page's WebSocket: its own origin, its own host name.
    let refusal = policy
        .check(&facts(
            Some("http://evil.example:18789"),
            "evil.example:18789",
            true,
        ))
        .expect_err("rebinding");
    assert_eq!(refusal.code(), HOST_NOT_ALLOWED, "{refusal}");
    assert!(
        refusal
            .to_string()
            .contains("add \"http://evil.example:18789\" to gateway.controlUi.allowedOrigins"),
        "{refusal}"
    );
    // Its same-origin GET carries no Origin, only fetch metadata.
    let get = RequestFacts {
        origin: None,
        host: Some("evil.example:18789"),
        fetch_metadata: true,
        state_changing: false,
    };
    assert_eq!(
        policy.check(&get).map_err(|r| r.code()),
        Err(HOST_NOT_ALLOWED)
    );
    let no_host = RequestFacts { host: None, ..get };
    assert!(policy.check(&no_host).is_err());
    let own = RequestFacts {
        host: Some("127.0.0.1:18789"),
        ..get
    };
    assert_eq!(policy.check(&own), Ok(()));
}

#[test]
fn allowed_origins_and_the_tailscale_name_pass() {
    let allowed = vec![
        "https://Ops.Example.com/".to_string(),
        "http://mybox.lan:18789".to_string(),
        "null".to_string(),
    ];
    let policy = OriginPolicy::new(false, &allowed, Some("mybox.tail1234.ts.net."));
    for (origin, host) in [
        ("https://ops.example.com", "127.0.0.1:18789"),
        ("https://ops.example.com:443", "ops.example.com"),
        ("http://mybox.lan:18789", "mybox.lan:18789"),
        ("null", "127.0.0.1:18789"),
        ("https://mybox.tail1234.ts.net", "mybox.tail1234.ts.net"),
        ("https://mybox.tail1234.ts.net", "127.0.0.1:18789"),
    ] {
        assert_eq!(
            policy.check(&facts(Some(origin), host, true)),
            Ok(()),
            "{origin} -> {host}"
        );
    }
    for origin in [
        "http://ops.example.com",
        "https://ops.example.com:8443",
        "https://sub.ops.example.com",
        "http://mybox.lan:8080",
        "http://mybox.tail1234.ts.net",
    ] {
        assert!(
            policy
                .check(&facts(Some(origin), "127.0.0.1:18789", true))
                .is_err(),
            "{origin}"
        );
    }
    let none = OriginPolicy::new(false, &[], Some(""));
    assert!(none
        .check(&facts(Some("https://"), "127.0.0.1:18789", true))
        .is_err());
}

#[test]
fn a_tls_listener_owns_its_https_origin_only() {
    let policy = OriginPolicy::new(true, &[], None);
    assert_eq!(
        policy.check(&facts(
            Some("https://127.0.0.1:18789"),
            "127.0.0.1:18789",
            true
        )),
        Ok(())
    );
    assert_eq!(
        policy.check(&facts(Some("https://127.0.0.1"), "127.0.0.1:443", true)),
        Ok(())
    );
    assert!(policy
        .check(&facts(
            Some("http://127.0.0.1:18789"),
            "127.0.0.1:18789",
            true
        ))
        .is_err());
}

#[test]
fn a_malformed_origin_header_is_refused() {
    let policy = OriginPolicy::new(false, &[], None);
    let binary = RequestFacts {
        origin: Some(None),
        host: Some("127.0.0.1:18789"),
        fetch_metadata: false,
        state_changing: true,
    };
    assert!(matches!(
        policy.check(&binary),
        Err(Refusal::Malformed { .. })
    ));
    assert!(matches!(
        policy.check(&facts(
            Some("http://127.0.0.1:18789/x"),
            "127.0.0.1:18789",
            true
        )),
        Err(Refusal::Malformed { .. })
    ));
}
