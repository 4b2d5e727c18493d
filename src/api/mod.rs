//! The typed operator API (layer 5: above the engine, channels and monitor; below the web and
//! control adapters, which it never imports).
//!
//! Every operator operation is written once here: a request struct and a response struct
//! (serde, the JSON field names the gateway has always served), and one async method of
//! [`Operator`] that implements it over narrow handles. Both transports are thin adapters over
//! it: the HTTP routes (`web::admin_*`) turn path, query and body into the request struct
//! ([`params::parse`]), the WebSocket methods (`control::methods`) turn `params` into it, and both
//! serialise the answer or the [`ApiError`], whose code is the same on both. The CLI
//! deserialises the same response structs.
//!
//! One file per area: [`health`] (and the probes' answers, with [`readiness`]), [`status`],
//! [`sessions`], [`history`], [`traces`], [`pairing`], [`actors`], [`send`], [`logs`],
//! [`config`], [`channels`], [`skills`], [`mcp`], [`cron`], [`memory`].

pub mod actors;
pub(crate) mod channels;
pub(crate) mod config;
pub(crate) mod cron;
pub(crate) mod error;
pub(crate) mod health;
pub(crate) mod history;
pub(crate) mod logs;
pub(crate) mod mcp;
pub(crate) mod memory;
pub(crate) mod operator;
pub(crate) mod pairing;
pub(crate) mod params;
pub(crate) mod readiness;
pub(crate) mod scopes;
pub(crate) mod send;
pub(crate) mod send_file;
pub(crate) mod sessions;
pub(crate) mod skills;
pub(crate) mod status;
pub(crate) mod subagents;
pub(crate) mod traces;

pub use actors::{
    Actor, ActorGetRequest, ActorList, ActorNode, ActorPanicRequest, ActorPanicked, ActorTree,
    ActorsListRequest, ActorsTreeRequest,
};
pub use channels::{known_channel, ChannelStats, ChannelStatsRequest};
pub use config::{ConfigAnswer, ConfigGetRequest};
pub use cron::{
    CronIdRequest, CronJobAnswer, CronJobRequest, CronList, CronListRequest, CronRan, CronRemoved,
    CronRuns, CronRunsRequest, CronStatus, CronStatusRequest, JobOrigin, JobView,
};
pub use error::{ApiError, ErrorBody, ErrorReply};
pub use health::{Health, HealthRequest, Link, Live, Ready};
pub use history::{History, HistoryMessage, HistoryRequest};
pub use logs::{LogTail, LogsTailRequest};
pub use mcp::{McpListRequest, McpServer, McpServers, McpToolEntry, McpTools, McpToolsRequest};
pub use memory::{
    MemoryReindexRequest, MemoryResult, MemorySearchAnswer, MemorySearchRequest, MemoryStatus,
    MemoryStatusRequest,
};
pub use operator::{ClientCount, Operator, OperatorParts};
pub use pairing::{
    PairingApproveRequest, PairingApproved, PairingList, PairingListRequest, PairingRevokeRequest,
    PairingRevoked,
};
pub use readiness::Readiness;
pub use send::{SendRequest, Sent};
pub use send_file::{SendFileRequest, MAX_BODY_BYTES};
pub use sessions::{
    SessionInfo, SessionList, SessionReset, SessionResetRequest, SessionShowRequest,
    SessionsListRequest,
};
pub use skills::{SkillSource, SkillStatusEntry, SkillsStatus, SkillsStatusRequest};
pub use status::{Status, StatusRequest};
pub use subagents::{SubagentList, SubagentsListRequest};
pub use traces::{RunTrace, TraceRecord, TraceStep, Traces, TracesRequest};
