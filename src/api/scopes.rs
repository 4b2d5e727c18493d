//! Operator scopes: which operation needs which scope, for the WebSocket methods and for the HTTP
//! routes that do the same things. One table ([`TABLE`]), read by
//! `control::methods::dispatch` before a method runs and by the HTTP extractor
//! `web::auth::Authorized`, so that the two transports cannot disagree.
//!
//! The rules follow OpenClaw's (its `method-scopes` and `operator-scope-compat`): `operator.admin`
//! satisfies every scope, `operator.write` also satisfies `operator.read`, and `operator.pairing`
//! and `operator.approvals` are satisfied only by themselves (or admin). `health` needs no scope,
//! only a connection. An operation missing from the table needs admin.
//!
//! Scopes narrow what one client does with the gateway's credential; they are not a second
//! credential. A client (or an HTTP request) that names no scopes gets all of them, one that names
//! an empty list gets none.

use std::fmt;

use serde_json::{json, Value};

/// One operator scope, as OpenClaw names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Read,
    Write,
    Admin,
    Approvals,
    Pairing,
}

impl Scope {
    /// Every scope, in the order `hello-ok.auth.scopes` lists them.
    pub const ALL: [Scope; 5] = [
        Scope::Read,
        Scope::Write,
        Scope::Admin,
        Scope::Approvals,
        Scope::Pairing,
    ];

    /// The wire name (`operator.read`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Scope::Read => "operator.read",
            Scope::Write => "operator.write",
            Scope::Admin => "operator.admin",
            Scope::Approvals => "operator.approvals",
            Scope::Pairing => "operator.pairing",
        }
    }

    /// The scope a wire name means; `None` for names this gateway does not grant (OpenClaw has
    /// more, such as `operator.talk`: they are dropped, like OpenClaw drops unknown ones).
    pub fn parse(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.name() == name)
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The scopes granted to one connection or one HTTP request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScopeSet(u8);

impl ScopeSet {
    /// No scope: only `health`.
    pub const NONE: ScopeSet = ScopeSet(0);

    /// Every operator scope: what the holder of the gateway's token or password may do.
    pub const fn all() -> ScopeSet {
        let mut bits = 0;
        let mut i = 0;
        while i < Scope::ALL.len() {
            bits |= Scope::ALL[i].bit();
            i += 1;
        }
        ScopeSet(bits)
    }

    /// The set of `scopes`.
    pub fn of(scopes: &[Scope]) -> ScopeSet {
        ScopeSet(scopes.iter().fold(0, |bits, s| bits | s.bit()))
    }

    /// What a client asked for: no list means all, a list means exactly its known names.
    pub fn requested<'a>(names: Option<impl IntoIterator<Item = &'a str>>) -> ScopeSet {
        match names {
            None => ScopeSet::all(),
            Some(names) => ScopeSet::of(
                &names
                    .into_iter()
                    .filter_map(|name| Scope::parse(name.trim()))
                    .collect::<Vec<_>>(),
            ),
        }
    }

    /// Whether `scope` was granted as such (no implication).
    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    /// Whether the set satisfies `scope`: granted, or admin, or write for read.
    pub fn satisfies(self, scope: Scope) -> bool {
        self.contains(scope)
            || self.contains(Scope::Admin)
            || (scope == Scope::Read && self.contains(Scope::Write))
    }

    /// The granted scopes, in [`Scope::ALL`] order.
    pub fn scopes(self) -> Vec<Scope> {
        Scope::ALL
            .into_iter()
            .filter(|s| self.contains(*s))
            .collect()
    }

    /// The granted scopes' wire names (for `hello-ok.auth.scopes` and log lines).
    pub fn names(self) -> Vec<&'static str> {
        self.scopes().into_iter().map(Scope::name).collect()
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("none");
        }
        f.write_str(&self.names().join(","))
    }
}

/// What an operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Requirement {
    /// An authenticated connection, no scope (`health`, as in OpenClaw).
    Connected,
    /// This scope (or one that implies it, see [`ScopeSet::satisfies`]).
    Scope(Scope),
}

impl Requirement {
    #[cfg(test)]
    /// How the doc table writes it.
    pub(crate) fn label(self) -> String {
        match self {
            Requirement::Connected => "none (authenticated)".to_string(),
            Requirement::Scope(scope) => format!("`{scope}`"),
        }
    }

    /// Checks `granted` against this requirement for `operation`.
    pub(crate) fn check(self, operation: &str, granted: ScopeSet) -> Result<(), MissingScope> {
        match self {
            Requirement::Connected => Ok(()),
            Requirement::Scope(scope) if granted.satisfies(scope) => Ok(()),
            Requirement::Scope(scope) => Err(MissingScope {
                operation: operation.to_string(),
                missing: scope,
                granted,
            }),
        }
    }
}

/// A refusal: `operation` needs `missing`, which `granted` does not satisfy.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("missing scope: {missing} ({operation} needs {missing}; granted: {granted})")]
pub struct MissingScope {
    pub operation: String,
    pub missing: Scope,
    pub granted: ScopeSet,
}

impl MissingScope {
    /// The error's `details`, shaped as OpenClaw's (`{code:"MISSING_SCOPE", missingScope,
    /// requiredScopes}`, nothing more: its schema is closed).
    pub fn details(&self) -> Value {
        json!({ "code": MISSING_SCOPE, "missingScope": self.missing.name(),
            "requiredScopes": [self.missing.name()] })
    }
}

/// The error code of a refusal (`FORBIDDEN`) and its `details.code`.
pub(crate) const FORBIDDEN: &str = "FORBIDDEN";
pub(crate) const MISSING_SCOPE: &str = "MISSING_SCOPE";

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rule {
    /// The WebSocket method name, or (for an operation only HTTP offers) its name here.
    pub operation: &'static str,
    pub requirement: Requirement,
    /// The HTTP routes that do the same thing (`"GET /admin/sessions"`), for the docs.
    #[cfg_attr(
        not(test),
        allow(
            dead_code,
            reason = "read by the test that checks the docs' copy of the table"
        )
    )]
    pub http: &'static [&'static str],
}

/// Names an operation at the type level, for the HTTP extractor
/// (`Authorized<op::SessionsReset>`): each handler says once what it does.
pub(crate) trait Operation {
    const NAME: &'static str;
    const REQUIREMENT: Requirement;
}

macro_rules! scope_table {
    ($( $marker:ident $name:literal => $requirement:expr, http: [$($route:literal),*]; )*) => {
        /// Every operation with its requirement and HTTP routes.
        pub(crate) const TABLE: &[Rule] = &[
            $( Rule { operation: $name, requirement: $requirement, http: &[$($route),*] }, )*
        ];

        /// Each marker's name and its operation (for the test that reads the HTTP handlers).
        #[cfg(test)]
        const MARKERS: &[(&str, &str)] = &[$( (stringify!($marker), $name), )*];

        /// One marker type per row of [`TABLE`], for the HTTP extractor `web::auth::Authorized`.
        pub(crate) mod op {
            use super::*;
            $(
                #[doc = concat!("`", $name, "`")]
                #[allow(dead_code, reason = "one marker per row; a row no HTTP route shares has no user")]
                pub(crate) struct $marker;
                impl Operation for $marker {
                    const NAME: &'static str = $name;
                    const REQUIREMENT: Requirement = $requirement;
                }
            )*
        }
    };
}

const READ: Requirement = Requirement::Scope(Scope::Read);
const WRITE: Requirement = Requirement::Scope(Scope::Write);
const ADMIN: Requirement = Requirement::Scope(Scope::Admin);
const PAIRING: Requirement = Requirement::Scope(Scope::Pairing);

scope_table! {
    Health "health" => Requirement::Connected, http: ["GET /admin/health"];
    Status "status" => READ, http: ["GET /admin/status"];
    Presence "presence" => READ, http: [];
    SystemPresence "system-presence" => READ, http: [];
    ChatHistory "chat.history" => READ, http: ["GET /admin/sessions/{key}/history"];
    ChatSend "chat.send" => WRITE, http: ["POST /v1/chat/completions", "POST /v1/responses"];
    ChatAbort "chat.abort" => WRITE, http: [];
    Agent "agent" => WRITE, http: [];
    Send "send" => WRITE, http: ["POST /admin/channels/{channel}/send"];
    SendFile "send.file" => WRITE, http: ["POST /admin/channels/{channel}/send-file"];
    SessionsList "sessions.list" => READ, http: ["GET /admin/sessions"];
    SessionsInspect "sessions.inspect" => READ, http: ["GET /admin/sessions/{key}"];
    SessionsTraces "sessions.traces" => READ, http: ["GET /admin/sessions/{key}/traces"];
    SessionsReset "sessions.reset" => ADMIN, http: ["POST /admin/sessions/{key}/reset"];
    SessionsSubscribe "sessions.subscribe" => READ, http: [];
    SessionsUnsubscribe "sessions.unsubscribe" => READ, http: [];
    SessionsDescribe "sessions.describe" => READ, http: [];
    SessionsResolve "sessions.resolve" => READ, http: [];
    SubagentsList "subagents.list" => READ, http: ["GET /admin/subagents", "GET /admin/sessions/{key}/children"];
    AgentsList "agents.list" => READ, http: [];
    CommandsList "commands.list" => READ, http: [];
    PairingList "pairing.list" => PAIRING, http: ["GET /admin/pairing/{channel}"];
    PairingApprove "pairing.approve" => PAIRING, http: ["POST /admin/pairing/{channel}/approve"];
    PairingRevoke "pairing.revoke" => PAIRING, http: ["POST /admin/pairing/{channel}/revoke"];
    ChannelsStatus "channels.status" => READ, http: ["GET /admin/channels"];
    ActorsList "actors.list" => READ, http: ["GET /admin/actors"];
    ActorsTree "actors.tree" => READ, http: [];
    ActorsGet "actors.get" => READ, http: ["GET /admin/actors/{id}"];
    ActorsPanic "actors.panic" => ADMIN, http: ["POST /admin/actors/{id}/panic"];
    LogsTail "logs.tail" => READ, http: ["GET /admin/logs"];
    ConfigGet "config.get" => READ, http: ["GET /admin/config"];
    ModelsList "models.list" => READ, http: ["GET /v1/models"];
    Metrics "metrics" => READ, http: ["GET /metrics", "GET /admin/metrics"];
    SkillsStatus "skills.status" => READ, http: ["GET /admin/skills"];
    McpList "mcp.list" => READ, http: ["GET /admin/mcp"];
    McpTools "mcp.tools" => READ, http: ["GET /admin/mcp/{name}/tools"];
    CronList "cron.list" => READ, http: ["GET /admin/cron"];
    CronStatus "cron.status" => READ, http: ["GET /admin/cron/status"];
    CronAdd "cron.add" => ADMIN, http: ["POST /admin/cron"];
    CronUpdate "cron.update" => ADMIN, http: ["POST /admin/cron/{id}"];
    CronRemove "cron.remove" => ADMIN, http: ["POST /admin/cron/{id}/remove"];
    CronRun "cron.run" => ADMIN, http: ["POST /admin/cron/{id}/run"];
    CronRuns "cron.runs" => READ, http: ["GET /admin/cron/{id}/runs"];
    MemoryStatus "memory.status" => READ, http: ["GET /admin/memory"];
    MemoryReindex "memory.reindex" => WRITE, http: ["POST /admin/memory/reindex"];
    MemorySearch "memory.search" => READ, http: ["GET /admin/memory/search"];
}

/// What `operation` needs; an operation the table does not name needs admin (never allowed by
/// default).
pub(crate) fn required(operation: &str) -> Requirement {
    TABLE
        .iter()
        .find(|rule| rule.operation == operation)
        .map_or(ADMIN, |rule| rule.requirement)
}

#[cfg(test)]
/// The table as the Markdown rows of `docs/architecture.md` (what the doc test compares);
/// `ws_methods` are the WebSocket method names (the control plane's list, above this layer).
pub(crate) fn markdown_rows(ws_methods: &[&str]) -> Vec<String> {
    TABLE
        .iter()
        .map(|rule| {
            let http = if rule.http.is_empty() {
                "-".to_string()
            } else {
                rule.http
                    .iter()
                    .map(|r| format!("`{r}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let ws = if ws_methods.contains(&rule.operation) {
                "yes"
            } else {
                "-"
            };
            format!(
                "| `{}` | {} | {ws} | {http} |",
                rule.operation,
                rule.requirement.label(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::methods::METHODS;

    #[test]
    fn every_method_has_its_own_row() {
        for &method in METHODS {
            assert!(
                TABLE.iter().any(|rule| rule.operation == method),
                "{method} is advertised but has no row in the scope table (it would need admin)"
            );
        }
        let mut names: Vec<&str> = TABLE.iter().map(|rule| rule.operation).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), TABLE.len(), "an operation appears twice");
    }

    #[test]
    fn the_shared_methods_need_what_openclaw_says() {
        // From openclaw@2026.9.6 dist/method-scopes-*.mjs (CORE_GATEWAY_METHOD_SPECS); `pairing.*`
        // are its `channels.pairing.*`, `presence` its `system-presence`.
        let openclaw = [
            ("status", Scope::Read),
            ("presence", Scope::Read),
            ("chat.history", Scope::Read),
            ("chat.send", Scope::Write),
            ("chat.abort", Scope::Write),
            ("agent", Scope::Write),
            ("send", Scope::Write),
            ("sessions.list", Scope::Read),
            ("sessions.reset", Scope::Admin),
            ("pairing.list", Scope::Pairing),
            ("pairing.approve", Scope::Pairing),
            ("logs.tail", Scope::Read),
            ("config.get", Scope::Read),
            ("channels.status", Scope::Read),
            ("models.list", Scope::Read),
        ];
        for (method, scope) in openclaw {
            assert_eq!(required(method), Requirement::Scope(scope), "{method}");
        }
        assert_eq!(required("health"), Requirement::Connected);
    }

    #[test]
    fn an_operation_outside_the_table_needs_admin() {
        assert_eq!(required("config.set"), Requirement::Scope(Scope::Admin));
        assert_eq!(required(""), Requirement::Scope(Scope::Admin));
        let writer = ScopeSet::of(&[Scope::Read, Scope::Write, Scope::Pairing]);
        assert!(required("sessions.delete")
            .check("sessions.delete", writer)
            .is_err());
    }

    #[test]
    fn admin_implies_everything_and_write_implies_read_only() {
        let admin = ScopeSet::of(&[Scope::Admin]);
        for scope in Scope::ALL {
            assert!(admin.satisfies(scope), "admin satisfies {scope}");
        }
        let write = ScopeSet::of(&[Scope::Write]);
        assert!(write.satisfies(Scope::Read) && write.satisfies(Scope::Write));
        for scope in [Scope::Admin, Scope::Pairing, Scope::Approvals] {
            assert!(!write.satisfies(scope), "write does not satisfy {scope}");
        }
        let read = ScopeSet::of(&[Scope::Read]);
        assert!(read.satisfies(Scope::Read));
        for scope in [Scope::Write, Scope::Admin, Scope::Pairing, Scope::Approvals] {
            assert!(!read.satisfies(scope), "read does not satisfy {scope}");
        }
        let pairing = ScopeSet::of(&[Scope::Pairing]);
        assert!(pairing.satisfies(Scope::Pairing) && !pairing.satisfies(Scope::Read));
        for scope in Scope::ALL {
            assert!(!ScopeSet::NONE.satisfies(scope));
        }
    }

    #[test]
    fn a_read_only_client_may_look_but_not_touch() {
        let read = ScopeSet::of(&[Scope::Read]);
        for method in [
            "health",
            "status",
            "sessions.list",
            "logs.tail",
            "config.get",
        ] {
            assert!(required(method).check(method, read).is_ok(), "{method}");
        }
        for method in ["chat.send", "send", "agent", "chat.abort", "sessions.reset"] {
            assert!(required(method).check(method, read).is_err(), "{method}");
        }
        for method in ["pairing.approve", "pairing.list"] {
            let refused = required(method).check(method, read).unwrap_err();
            assert_eq!(refused.missing, Scope::Pairing);
        }
        let nothing = ScopeSet::NONE;
        assert!(required("health").check("health", nothing).is_ok());
        assert!(required("status").check("status", nothing).is_err());
    }

    #[test]
    fn what_a_client_asks_for_is_what_it_gets() {
        assert_eq!(ScopeSet::requested(None::<Vec<&str>>), ScopeSet::all());
        assert_eq!(
            ScopeSet::requested(Some(Vec::<&str>::new())),
            ScopeSet::NONE
        );
        let asked = ScopeSet::requested(Some(vec![
            "operator.read",
            " operator.pairing ",
            "operator.talk",
            "operator.Admin",
        ]));
        assert_eq!(asked.names(), ["operator.read", "operator.pairing"]);
        assert_eq!(ScopeSet::all().names().len(), Scope::ALL.len());
        assert_eq!(ScopeSet::NONE.to_string(), "none");
    }

    #[test]
    fn connect_grants_what_its_scopes_list_names() {
        use crate::control::frames::parse_request;
        use crate::control::socket::parse_connect;
        let hello = |scopes: &str| {
            let frame = format!(
                r#"{{"type":"req","id":"1","method":"connect","params":{{"auth":{{"token":"t"}}{scopes}}}}}"#
            );
            parse_connect(&parse_request(&frame).expect("a request"))
        };
        assert_eq!(hello("").expect("no list").scopes, ScopeSet::all());
        assert_eq!(
            hello(r#","scopes":[]"#).expect("empty").scopes,
            ScopeSet::NONE
        );
        let asked = hello(r#","scopes":["operator.read",7,"operator.talk"]"#).expect("a list");
        assert_eq!(asked.scopes, ScopeSet::of(&[Scope::Read]));
        let refused = hello(r#","scopes":"operator.admin""#).expect_err("not a list");
        assert!(
            refused.message.contains("scopes must be a list"),
            "{}",
            refused.message
        );
    }

    #[test]
    fn a_refusal_names_the_operation_and_the_scope() {
        let refused = required("sessions.reset")
            .check("sessions.reset", ScopeSet::of(&[Scope::Read, Scope::Write]))
            .unwrap_err();
        assert_eq!(
            refused.to_string(),
            "missing scope: operator.admin (sessions.reset needs operator.admin; \
             granted: operator.read,operator.write)"
        );
        assert_eq!(
            refused.details(),
            json!({ "code": "MISSING_SCOPE", "missingScope": "operator.admin",
                "requiredScopes": ["operator.admin"] })
        );
    }

    #[test]
    fn the_http_handlers_declare_the_operations_the_table_lists() {
        let sources = [
            include_str!("../web/admin.rs"),
            include_str!("../web/admin_channels.rs"),
            include_str!("../web/admin_mcp.rs"),
            include_str!("../web/admin_cron.rs"),
            include_str!("../web/admin_metrics.rs"),
            include_str!("../web/admin_ops.rs"),
            include_str!("../web/admin_sessions.rs"),
            include_str!("../web/admin_skills.rs"),
            include_str!("../web/admin_memory.rs"),
            include_str!("../web/openai/mod.rs"),
            include_str!("../web/responses/mod.rs"),
        ];
        let mut found = Vec::new();
        for source in sources {
            for (verb, attribute) in [("GET", "#[get(\""), ("POST", "#[post(\"")] {
                for (at, _) in source.match_indices(attribute) {
                    let rest = &source[at + attribute.len()..];
                    let path = &rest[..rest.find('"').expect("a route path")];
                    // The handler: up to the next route attribute.
                    let body = &rest[..rest[1..].find("#[").map_or(rest.len(), |i| i + 1)];
                    let marker = body
                        .split("op::")
                        .nth(1)
                        .map(|m| m.split(|c: char| !c.is_alphanumeric()).next().unwrap_or(""))
                        .unwrap_or_else(|| {
                            panic!("{verb} {path} declares no `Authorized<op::..>`")
                        });
                    let (_, operation) = MARKERS
                        .iter()
                        .find(|(name, _)| *name == marker)
                        .unwrap_or_else(|| panic!("{verb} {path}: no marker op::{marker}"));
                    found.push((format!("{verb} {path}"), *operation));
                }
            }
        }
        for (route, operation) in &found {
            let rule = TABLE
                .iter()
                .find(|r| r.operation == *operation)
                .expect("a row");
            assert!(
                rule.http.contains(&route.as_str()),
                "{route} is handled as {operation}, whose row lists {:?}",
                rule.http
            );
        }
        for rule in TABLE {
            for route in rule.http {
                assert!(
                    found
                        .iter()
                        .any(|(r, op)| r == route && *op == rule.operation),
                    "{route} is listed for {} but no handler declares it",
                    rule.operation
                );
            }
        }
    }

    #[test]
    fn the_architecture_doc_lists_the_table_as_the_code_has_it() {
        let doc = include_str!("../../docs/architecture.md");
        let start = doc
            .find("<!-- scope-table:start -->")
            .expect("docs/architecture.md has no `<!-- scope-table:start -->` marker");
        let end = doc[start..]
            .find("<!-- scope-table:end -->")
            .map(|i| start + i)
            .expect("docs/architecture.md has no `<!-- scope-table:end -->` marker");
        let documented: Vec<&str> = doc[start..end]
            .lines()
            .filter(|line| line.starts_with("| `"))
            .collect();
        let expected = markdown_rows(METHODS);
        assert_eq!(
            documented,
            expected,
            "the scope table in docs/architecture.md is stale; its rows should be:\n{}",
            expected.join("\n")
        );
    }
}
