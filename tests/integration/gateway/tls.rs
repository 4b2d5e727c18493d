//! `gateway.ssl`: the gateway terminates TLS itself, and the CLI reaches it over TLS by pinning the
//! configured certificate (a self-signed fixture, valid for 100 years).

use std::io::{Read, Write};

use crate::support::*;

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/tls/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_gateway_serves_tls_and_the_cli_pins_its_certificate() {
    let config = format!(
        "{{ gateway: {{ ssl: {{ enabled: true, certPath: '{}', keyPath: '{}' }} }} }}",
        fixture("cert.pem"),
        fixture("key.pem")
    );
    let gateway = Gateway::start(Some(&config));
    let runtime =
        std::fs::read_to_string(gateway.state_dir().join("gateway.json")).expect("runtime file");
    assert!(runtime.contains("\"https://127.0.0.1:"), "{runtime}");

    let health = run_cli(gateway.home(), &["health"]);
    assert!(
        health.status.success(),
        "health over TLS: {}",
        stderr(&health)
    );
    let actors = run_cli(gateway.home(), &["actors", "--json"]);
    assert!(
        actors.status.success(),
        "actors over TLS: {}",
        stderr(&actors)
    );

    // Plain HTTP on the TLS port gets no HTTP answer.
    let mut stream = std::net::TcpStream::connect(gateway.addr).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .expect("timeout");
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("send");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert!(
        !answer.starts_with(b"HTTP/1.1 200"),
        "plaintext must not be served: {:?}",
        String::from_utf8_lossy(&answer)
    );
}

#[test]
fn an_unreadable_certificate_is_a_config_error_naming_the_key() {
    let home = tempfile::tempdir().expect("home");
    let config = format!(
        "{{ gateway: {{ ssl: {{ enabled: true, certPath: '/nonexistent/cert.pem', keyPath: '{}' }} }} }}",
        fixture("key.pem")
    );
    std::fs::write(home.path().join("pincer.json5"), config).expect("config");
    let output = run_cli(home.path(), &["gateway", "--port", "0"]);
    assert_eq!(output.status.code(), Some(78), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("gateway.ssl.certPath"),
        "{}",
        stderr(&output)
    );
}
