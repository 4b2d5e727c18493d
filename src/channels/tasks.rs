//! The channel actor's waiting work (a turn's answer, a reply's send, a read receipt) as tasks of
//! their own, each polled only when it can make progress.
//!
//! A future spawned into an actix context is polled again whenever the context wakes, ready or
//! not: with one future per message in flight, every message woke and polled all the others, a
//! cost that grew with the load (the largest share of the channel actor's CPU in a profile). Here
//! each piece of work is a local task (same thread, same arbiter); its result comes back through
//! one channel that the actor drains as a single stream in its context, so the actor's state is
//! still only touched inside the actor.
//!
//! The tasks live and die with the actor: dropping [`Tasks`] (the incarnation stopped, crashed or
//! was replaced) aborts whatever is still running, as the context's futures were dropped with it;
//! a task that panics has its panic resumed inside the actor, so supervision restarts the actor
//! as before.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::{FutureExt, Stream};
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinSet;

/// What a task sends back: its output, or the payload of its panic.
pub(crate) type Outcome<T> = Result<T, Box<dyn Any + Send>>;

/// The running tasks of one actor incarnation, and the channel their outputs come back on.
pub(crate) struct Tasks<T> {
    set: JoinSet<()>,
    done: UnboundedSender<Outcome<T>>,
    results: Option<UnboundedReceiver<Outcome<T>>>,
}

impl<T: 'static> Tasks<T> {
    pub(crate) fn new() -> Self {
        let (done, results) = mpsc::unbounded_channel();
        Tasks {
            set: JoinSet::new(),
            done,
            results: Some(results),
        }
    }

    /// The outputs of the tasks, in the order they finish; `None` after the first call. The
    /// stream ends only when the tasks are dropped.
    pub(crate) fn results(&mut self) -> Option<impl Stream<Item = Outcome<T>> + 'static> {
        let results = self.results.take()?;
        Some(futures_util::stream::unfold(
            results,
            |mut results| async move { results.recv().await.map(|item| (item, results)) },
        ))
    }

    /// Runs `work` as a local task; its output arrives on [`Tasks::results`].
    pub(crate) fn spawn(&mut self, work: impl Future<Output = T> + 'static) {
        let done = self.done.clone();
        self.spawn_quiet(async move {
            match AssertUnwindSafe(work).catch_unwind().await {
                Ok(output) => {
                    let _ = done.send(Ok(output));
                }
                Err(panic) => {
                    let _ = done.send(Err(panic));
                }
            }
        });
    }

    /// Runs `work`, whose end nobody waits for (a read receipt), as a local task.
    pub(crate) fn spawn_quiet(&mut self, work: impl Future<Output = ()> + 'static) {
        // Finished tasks leave their (empty) result in the set until it is taken.
        while self.set.try_join_next().is_some() {}
        self.set.spawn_local(work);
    }

    /// Tasks not finished yet.
    #[cfg(test)]
    pub(crate) fn running(&mut self) -> usize {
        while self.set.try_join_next().is_some() {}
        self.set.len()
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;
    use std::time::Duration;

    use futures_util::StreamExt;

    use super::*;

    #[actix_web::test]
    async fn outputs_come_back_in_the_order_the_tasks_finish() {
        let mut tasks = Tasks::new();
        let mut results = Box::pin(tasks.results().expect("the first call"));
        assert!(tasks.results().is_none());
        tasks.spawn(async {
            tokio::time::sleep(Duration::from_millis(30)).await;
            "slow"
        });
        tasks.spawn(async { "quick" });
        let first = results.next().await.expect("an output").expect("no panic");
        let second = results.next().await.expect("an output").expect("no panic");
        assert_eq!((first, second), ("quick", "slow"));
        assert_eq!(tasks.running(), 0);
    }

    #[actix_web::test]
    async fn a_panic_comes_back_as_its_payload() {
        let mut tasks: Tasks<()> = Tasks::new();
        let mut results = Box::pin(tasks.results().expect("the first call"));
        tasks.spawn(async { panic!("boom") });
        let panic = results
            .next()
            .await
            .expect("an outcome")
            .expect_err("a panic");
        assert_eq!(panic.downcast_ref::<&str>(), Some(&"boom"));
    }

    #[actix_web::test]
    async fn dropping_the_tasks_aborts_them() {
        let reached = Rc::new(Cell::new(false));
        let mut tasks: Tasks<()> = Tasks::new();
        let mut results = Box::pin(tasks.results().expect("the first call"));
        let flag = Rc::clone(&reached);
        tasks.spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            flag.set(true);
        });
        assert_eq!(tasks.running(), 1);
        drop(tasks);
        assert!(results.next().await.is_none(), "the stream ends");
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!reached.get(), "the aborted task did not run on");
    }
}
