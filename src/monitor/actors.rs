//! The monitor's actors: the system sampler (with the memory guard), the metrics rater and the
//! alerter. Each works on a timer and publishes into the shared [`Monitor`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, AsyncContext, Context};
use pincer_actors::{ActorRef, ChildContext, Managed};
use tracing::{error, info, warn};

use super::alerts::{AlertBook, Figures, Level};
use super::sample::SystemProbe;
use super::Monitor;
use crate::config::{MonitoringConfig, Thresholds};
use crate::sessions::router::{EvictIdle, SessionRouter};

/// Reads the system on a timer; sheds load when RSS passes 80% of `agents.memoryLimit`.
pub(crate) struct Sampler {
    cx: ChildContext,
    monitor: Arc<Monitor>,
    probe: Option<SystemProbe>,
    state_dir: PathBuf,
    interval: Duration,
    memory_limit_bytes: u64,
    router: ActorRef<SessionRouter>,
}

impl Sampler {
    pub(crate) fn new(
        cx: ChildContext,
        monitor: Arc<Monitor>,
        state_dir: PathBuf,
        config: &MonitoringConfig,
        memory_limit_mb: u64,
        router: ActorRef<SessionRouter>,
    ) -> Self {
        Sampler {
            cx,
            monitor,
            probe: None,
            state_dir,
            interval: Duration::from_millis(config.sample_interval_ms.max(100)),
            memory_limit_bytes: memory_limit_mb.saturating_mul(1024 * 1024),
            router,
        }
    }

    fn sample(&mut self) {
        let Some(probe) = self.probe.as_mut() else {
            return;
        };
        let sample = probe.sample();
        let rss = sample.process_rss_bytes;
        self.cx.set_status(format!(
            "cpu {:.0}%, memory {:.0}%, disk {:.0}%, rss {} MiB",
            sample.cpu_usage * 100.0,
            sample.memory_usage * 100.0,
            sample.disk_usage * 100.0,
            rss / (1024 * 1024)
        ));
        self.monitor.publish_sample(sample);
        self.memory_guard(rss);
    }

    /// The seed's memory check, without a garbage collector to call: shed load instead.
    fn memory_guard(&mut self, rss: u64) {
        if self.memory_limit_bytes == 0 {
            return;
        }
        let high = self.memory_limit_bytes / 10 * 8;
        let low = self.memory_limit_bytes / 10 * 7;
        let shedding = self.monitor.shedding().is_some();
        if !shedding && rss > high {
            let reason = format!(
                "the gateway is shedding load: it uses {} MiB, over 80% of agents.memoryLimit ({} MiB)",
                rss / (1024 * 1024),
                self.memory_limit_bytes / (1024 * 1024)
            );
            warn!(%reason, "memory guard: evicting idle sessions and refusing new runs");
            self.monitor.set_shedding(Some(reason));
            let _ = self.router.tell(EvictIdle);
        } else if shedding && rss < low {
            info!(
                rss_mib = rss / (1024 * 1024),
                "memory guard: back under 70% of agents.memoryLimit; accepting runs again"
            );
            self.monitor.set_shedding(None);
        } else if shedding {
            let _ = self.router.tell(EvictIdle);
        }
    }
}

impl Actor for Sampler {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        match SystemProbe::new(&self.state_dir) {
            Ok(probe) => self.probe = Some(probe),
            Err(error) => {
                warn!(%error, "system sampling is off");
                self.cx.set_status(format!("off: {error}"));
                return;
            }
        }
        ctx.run_interval(self.interval, |sampler, _| sampler.sample());
    }
}

impl Managed for Sampler {}

pincer_actors::mailbox!(Sampler:);

/// Turns the hot-path counters into rates on the sampling interval.
pub(crate) struct MetricsRater {
    monitor: Arc<Monitor>,
    interval: Duration,
}

impl MetricsRater {
    pub(crate) fn new(monitor: Arc<Monitor>, config: &MonitoringConfig) -> Self {
        MetricsRater {
            monitor,
            interval: Duration::from_millis(config.sample_interval_ms.max(100)),
        }
    }
}

impl Actor for MetricsRater {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_interval(self.interval, |rater, _| {
            rater.monitor.metrics.update_rates()
        });
    }
}

impl Managed for MetricsRater {}

pincer_actors::mailbox!(MetricsRater:);

/// Applies the thresholds every `checkInterval`.
pub(crate) struct Alerter {
    cx: ChildContext,
    monitor: Arc<Monitor>,
    thresholds: Thresholds,
    webhook: Option<String>,
    book: AlertBook,
    http: Option<reqwest::Client>,
}

impl Alerter {
    pub(crate) fn new(cx: ChildContext, monitor: Arc<Monitor>, config: &MonitoringConfig) -> Self {
        Alerter {
            cx,
            monitor,
            thresholds: config.thresholds.clone(),
            webhook: config
                .alert_webhook
                .as_ref()
                .map(|url| url.expose().to_string()),
            book: AlertBook::default(),
            http: None,
        }
    }

    fn check(&mut self) {
        let Some(sample) = self.monitor.latest() else {
            return;
        };
        let counters = self.monitor.metrics.counters();
        let figures = Figures {
            cpu_usage: sample.cpu_usage,
            memory_usage: sample.memory_usage,
            error_rate: counters.error_rate,
        };
        let events = self.book.evaluate(figures, &self.thresholds);
        for event in &events {
            match (event.state, event.level) {
                ("cleared", _) => info!(
                    metric = event.metric,
                    value = event.current_value,
                    "ALERT cleared: {}",
                    event.message
                ),
                (_, Level::Critical) => error!(
                    metric = event.metric,
                    value = event.current_value,
                    threshold = event.threshold,
                    "ALERT [CRITICAL]: {}",
                    event.message
                ),
                (_, Level::Warning) => warn!(
                    metric = event.metric,
                    value = event.current_value,
                    threshold = event.threshold,
                    "ALERT [WARNING]: {}",
                    event.message
                ),
            }
            self.post(event);
        }
        let active = self.book.active();
        self.cx
            .set_status(format!("{} active alerts", active.len()));
        self.monitor.set_active_alerts(active);
    }

    /// Sends the alert to the webhook without waiting for it (a slow receiver never delays the
    /// gateway); failures are logged.
    fn post(&mut self, event: &super::alerts::AlertEvent) {
        let Some(url) = self.webhook.clone() else {
            return;
        };
        if self.http.is_none() {
            self.http = crate::net::http::builder("the alert webhook")
                .timeout(Duration::from_secs(10))
                .build()
                .map_err(|error| warn!(%error, "cannot create the alert webhook client"))
                .ok();
        }
        let Some(http) = self.http.clone() else {
            return;
        };
        let body = serde_json::json!({ "source": "pincer", "alert": event });
        actix::spawn(async move {
            match http.post(&url).json(&body).send().await {
                Ok(response) if response.status().is_success() => {}
                Ok(response) => {
                    warn!(%url, status = response.status().as_u16(), "alert webhook refused the alert")
                }
                Err(error) => warn!(%url, %error, "alert webhook unreachable"),
            }
        });
    }
}

impl Actor for Alerter {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let every = Duration::from_millis(self.thresholds.check_interval.max(100));
        ctx.run_interval(every, |alerter, _| alerter.check());
    }
}

impl Managed for Alerter {}

pincer_actors::mailbox!(Alerter:);
