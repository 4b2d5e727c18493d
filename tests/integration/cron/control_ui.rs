//! The Control UI's Cron view in headless Chromium: the jobs are listed with their schedule and
//! origin, Run now fires one (its firing shows in the runs log), Remove takes a runtime job away,
//! and a job's text arrives as text (no markup is interpreted).

use std::time::Duration;

use crate::support::browser;
use crate::support::{run_cli, stderr, Gateway};
use pincer_emulators::Emulator;

const WAIT: Duration = Duration::from_secs(20);

#[test]
fn the_cron_view_lists_runs_and_removes_jobs() {
    let Some(chromium) = browser::launch() else {
        return;
    };
    let provider = Emulator::openai();
    let text = format!(
        "{{ agent: {{ model: 'local/echo' }}, \
           models: {{ providers: {{ local: {{ api: 'openai-completions', baseUrl: '{}', apiKey: 'k' }} }} }}, \
           cron: {{ jobs: [{{ id: 'daily', name: '<b>bold</b>', \
             schedule: {{ kind: 'cron', expr: '0 8 * * *', tz: 'Europe/Paris' }}, message: 'morning' }}] }} }}",
        provider.base_url()
    );
    let gateway = Gateway::start(Some(&text));
    let added = run_cli(
        gateway.home(),
        &[
            "cron",
            "add",
            "--id",
            "extra",
            "--every",
            "2h",
            "--message",
            "later",
        ],
    );
    assert!(added.status.success(), "{}", stderr(&added));
    let mut page = chromium.new_page();
    page.sign_in(&format!("http://{}/", gateway.addr), &gateway.token(), WAIT);
    page.eval("window.location.hash = '#/cron'");
    page.wait_for(
        "both jobs",
        "document.querySelectorAll('#cron-jobs tr[data-job]').length === 2",
        WAIT,
    );
    let daily = page.eval("document.querySelector('#cron-jobs tr[data-job=daily]').textContent");
    let daily = daily.as_str().unwrap_or_default().to_string();
    assert!(daily.contains("cron 0 8 * * * (Europe/Paris)"), "{daily}");
    assert!(daily.contains("<b>bold</b>"), "the name is text: {daily}");
    assert!(daily.contains("config"), "{daily}");
    let bold = page.eval("document.querySelectorAll('#cron-jobs b').length");
    assert_eq!(bold, 0);
    // A config job has no Remove button; Run now fires it.
    let buttons =
        page.eval("document.querySelectorAll('#cron-jobs tr[data-job=daily] button').length");
    assert_eq!(buttons, 1);
    page.eval("document.querySelector('#cron-jobs tr[data-job=daily] button').click()");
    page.wait_for(
        "the firing's last status",
        "(document.querySelector('#cron-jobs tr[data-job=daily]')?.textContent || '').match(/fired|ok/)",
        WAIT,
    );
    let runs = run_cli(gateway.home(), &["cron", "runs", "daily"]);
    assert!(
        String::from_utf8_lossy(&runs.stdout).contains("  fired  "),
        "{}",
        stderr(&runs)
    );
    // Remove the runtime job (the page asks first).
    page.eval("window.confirm = () => true");
    page.eval("document.querySelector('#cron-jobs tr[data-job=extra] button.ghost').click()");
    page.wait_for(
        "the removed job gone",
        "document.querySelectorAll('#cron-jobs tr[data-job]').length === 1",
        WAIT,
    );
    let listed = run_cli(gateway.home(), &["cron", "list"]);
    assert!(!String::from_utf8_lossy(&listed.stdout).contains("extra"));
}
