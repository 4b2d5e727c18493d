//! What must hold for the gateway to take traffic: the required supervisors running, no config
//! problem (an enabled channel without credentials), no safe mode, not draining. Read by the
//! readiness probe and the `health` and `status` operations, by the systemd watchdog (the part a
//! restart could cure), and told by the web actor when shutdown begins.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use pincer_actors::{ActorState, Registry};

/// What must be running for the gateway to take traffic, and whether it is draining.
#[derive(Debug)]
pub struct Readiness {
    required: Vec<String>,
    draining: AtomicBool,
    safe_mode: Option<String>,
    /// Parts the config keeps from running (an enabled channel without its credentials): they
    /// make the gateway not ready for as long as it runs, since only a config change fixes them.
    config_problems: Vec<String>,
}

impl Readiness {
    /// `required` are supervision-tree paths (e.g. `/gateway/sessions`) that must be running;
    /// `safe_mode` is the crash-loop breaker's reason, when it tripped.
    pub fn new(required: Vec<String>, safe_mode: Option<String>) -> Self {
        Readiness {
            required,
            draining: AtomicBool::new(false),
            safe_mode,
            config_problems: Vec::new(),
        }
    }

    /// Adds what the config keeps from running, each naming the part and the key to set (e.g.
    /// `channels.whatsapp: enabled but not configured: set channels.whatsapp.accessToken ...`).
    pub fn with_config_problems(mut self, problems: Vec<String>) -> Self {
        self.config_problems = problems;
        self
    }

    /// The crash-loop breaker's reason, when the gateway runs in safe mode.
    pub fn safe_mode(&self) -> Option<&str> {
        self.safe_mode.as_deref()
    }

    /// From now on, report not ready (shutdown has begun).
    pub fn start_draining(&self) {
        self.draining.store(true, Relaxed);
    }

    /// The reasons the gateway is not ready; empty when it is.
    pub fn problems(&self, registry: &Registry) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(reason) = &self.safe_mode {
            problems.push(format!("safe mode: {reason}"));
        }
        problems.extend(self.config_problems.iter().cloned());
        problems.extend(self.tree_problems(registry));
        problems
    }

    /// Draining and required actors that are not running: what a restart could cure, so what
    /// the systemd watchdog watches (safe mode and config problems are not: restarting the
    /// gateway over them would only turn one clear report into a restart loop).
    pub fn tree_problems(&self, registry: &Registry) -> Vec<String> {
        let mut problems = Vec::new();
        if self.draining.load(Relaxed) {
            problems.push("gateway: shutting down".to_string());
        }
        for path in &self.required {
            match registry.find_by_path(path).map(|actor| actor.state) {
                Some(ActorState::Running) => {}
                Some(state) => problems.push(format!("{path}: {}", state.as_str())),
                None => problems.push(format!("{path}: not started")),
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_problems_make_the_gateway_not_ready_but_do_not_starve_the_watchdog() {
        let registry = Registry::default();
        let readiness = Readiness::new(Vec::new(), None).with_config_problems(vec![
            "channels.whatsapp: enabled but not configured: set channels.whatsapp.accessToken"
                .to_string(),
        ]);
        let problems = readiness.problems(&registry);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("channels.whatsapp"));
        assert!(
            readiness.tree_problems(&registry).is_empty(),
            "restarting cannot fix a config, so the watchdog keeps being fed"
        );
        readiness.start_draining();
        assert_eq!(
            readiness.tree_problems(&registry),
            ["gateway: shutting down"]
        );
    }

    #[test]
    fn a_required_actor_that_is_missing_counts_for_both() {
        let registry = Registry::default();
        let readiness = Readiness::new(vec!["/gateway/sessions".into()], Some("crash loop".into()));
        assert_eq!(
            readiness.problems(&registry),
            ["safe mode: crash loop", "/gateway/sessions: not started"]
        );
        assert_eq!(
            readiness.tree_problems(&registry),
            ["/gateway/sessions: not started"]
        );
    }
}
