//! What a started gateway can do: submit a turn (for in-process tests), stop in order, and wait
//! for a signal or for the tree to give up.

use super::*;
use pincer_actors::ExitReason;
use tracing::error;

impl RunningGateway {
    /// Submits a message with its turn inputs to `session_key`'s session, as an entry point
    /// does (the channels hand over their media this way), and returns the run's events. For
    /// in-process tests of what reaches the run (the entry points use `sessions::submit`).
    pub async fn submit(
        &self,
        session_key: &str,
        text: String,
        request: crate::sessions::TurnRequest,
    ) -> Result<tokio::sync::mpsc::UnboundedReceiver<crate::sessions::RunEvent>, String> {
        let (listener, events) = tokio::sync::mpsc::unbounded_channel();
        crate::sessions::submit::submit_request(
            &self.state.router,
            session_key,
            text,
            listener,
            Arc::new(request),
        )
        .await?;
        Ok(events)
    }

    /// Waits for SIGTERM/SIGINT or for the tree to fail, then shuts down in order.
    pub(super) async fn serve_until_signal(mut self) -> Result<i32, GatewayError> {
        let first = {
            let signal = Box::pin(shutdown_signal());
            let tree_end = Box::pin(self.tree.root.wait());
            match select(signal, tree_end).await {
                Either::Left((name, _)) => Either::Left(name),
                Either::Right((reason, _)) => Either::Right(reason),
            }
        };
        match first {
            Either::Left(name) => {
                info!(
                    signal = name,
                    "shutting down: draining, then stopping actors in reverse order"
                );
                if self.stop().await == ExitReason::Killed {
                    // Not a clean stop: the crash-loop breaker must count it as one.
                    return Err(GatewayError::TreeFailed(
                        "the supervision tree did not stop within 60 s".into(),
                    ));
                }
                info!("gateway stopped");
                Ok(exit::OK)
            }
            Either::Right(reason) => {
                error!(reason = %reason.describe(), "the supervision tree stopped; exiting so the service manager can restart the gateway");
                Err(GatewayError::TreeFailed(reason.describe()))
            }
        }
    }

    /// Marks the gateway not ready and stops the tree, bounded in time, then writes the session
    /// index.
    pub async fn stop(&mut self) -> ExitReason {
        notify::stopping();
        self.state.control.bus.publish(
            "shutdown",
            &serde_json::json!({ "reason": "gateway stopping", "restartExpectedMs": null }),
        );
        self.state.readiness.start_draining();
        self.tree.root.shutdown();
        let limit = Duration::from_secs(60);
        let reason = match actix_web::rt::time::timeout(limit, self.tree.root.wait()).await {
            Ok(reason) => reason,
            Err(_) => {
                warn!(
                    limit_s = limit.as_secs(),
                    "the tree did not stop in time; exiting anyway"
                );
                ExitReason::Killed
            }
        };
        self.engine.tools.shutdown();
        self.arbiters.stop();
        if let Err(error) = self.engine.store.flush() {
            warn!(%error, "could not write the session index on exit (it is rebuilt from the transcripts)");
        }
        reason
    }

    /// Feeds the systemd watchdog while the tree is healthy (every required actor running); a
    /// wedged or failing tree stops the pings and systemd restarts the gateway.
    pub(super) fn keep_watchdog_fed(&self) {
        let Some(period) = notify::watchdog_period() else {
            return;
        };
        let state = self.state.clone();
        actix::spawn(async move {
            let mut ticks = actix_web::rt::time::interval(period);
            loop {
                ticks.tick().await;
                let unhealthy = state.readiness.tree_problems(&state.registry);
                if unhealthy.is_empty() {
                    notify::watchdog();
                } else {
                    warn!(
                        ?unhealthy,
                        "watchdog not fed: the supervision tree is not healthy"
                    );
                }
            }
        });
    }
}
