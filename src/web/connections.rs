//! Who holds the gateway's connections: a count per client address, and room for newcomers.
//!
//! Every accepted TCP connection asks [`ConnectionTracker::admit`] before any byte of it is read
//! (see [`super::listen`]). A connection is *unproven* until its first request head has arrived
//! (it may be a half-open probe or a slowloris sending its head a byte at a time); then it is
//! *proven*. When a client address already holds `maxConnectionsPerClient` connections, or the
//! gateway holds `maxConnections`, a newcomer takes the place of the oldest unproven connection
//! (of that address, or of anyone when the gateway is full): the stale one is closed at once, so
//! a new client (a health probe, the CLI) is served without waiting for the request-head timeout.
//! Only when every connection concerned is proven is the newcomer refused (HTTP 503). A WebSocket
//! connection is proven only once its client has authenticated (`hello-ok`), so unauthenticated
//! sockets, too, give way to newcomers.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use tracing::warn;

/// The two caps, from `gateway.maxConnections` and `gateway.maxConnectionsPerClient`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    pub max_total: usize,
    pub max_per_client: usize,
}

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refusal {
    #[error("too many connections from {client} (gateway.maxConnectionsPerClient is {max}), all of them busy")]
    PerClient { client: IpAddr, max: usize },
    #[error("too many connections (gateway.maxConnections is {max}), all of them busy")]
    Total { max: usize },
}

/// The open connections, shared by every HTTP worker.
#[derive(Debug)]
pub(crate) struct ConnectionTracker {
    limits: ConnectionLimits,
    inner: Mutex<Inner>,
    refusals: Mutex<RefusalLog>,
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    open: HashMap<u64, Entry>,
    per_client: HashMap<IpAddr, usize>,
    by_peer: HashMap<SocketAddr, u64>,
}

#[derive(Debug)]
struct Entry {
    peer: SocketAddr,
    opened: Instant,
    proven: bool,
    evict: Option<oneshot::Sender<()>>,
}

/// Refusals and evictions are logged at most every few seconds (a flood must not flood the log).
#[derive(Debug, Default)]
struct RefusalLog {
    last: Option<Instant>,
    refused: u64,
    evicted: u64,
}

const LOG_EVERY: Duration = Duration::from_secs(10);

/// Carried by a WebSocket upgrade request: its connection stays replaceable (like one that has
/// not sent a request) until the client has authenticated, then the socket calls [`Self::prove`].
#[derive(Debug, Clone)]
pub(crate) struct PendingProof {
    tracker: Arc<ConnectionTracker>,
    peer: SocketAddr,
}

impl PendingProof {
    pub(crate) fn new(tracker: Arc<ConnectionTracker>, peer: SocketAddr) -> PendingProof {
        PendingProof { tracker, peer }
    }

    /// The client authenticated: its connection is never replaced.
    pub(crate) fn prove(&self) {
        self.tracker.proven(self.peer);
    }
}

/// An admitted connection; dropping it (the connection ended) frees its place.
#[derive(Debug)]
pub(crate) struct Ticket {
    id: u64,
    tracker: Arc<ConnectionTracker>,
    /// Resolves when a newcomer took this connection's place.
    pub evicted: oneshot::Receiver<()>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut inner = self.tracker.lock();
        inner.remove(self.id);
    }
}

impl Inner {
    fn remove(&mut self, id: u64) -> Option<Entry> {
        let entry = self.open.remove(&id)?;
        let ip = entry.peer.ip();
        if let Some(count) = self.per_client.get_mut(&ip) {
            *count -= 1;
            if *count == 0 {
                self.per_client.remove(&ip);
            }
        }
        if self.by_peer.get(&entry.peer) == Some(&id) {
            self.by_peer.remove(&entry.peer);
        }
        Some(entry)
    }

    /// The oldest connection that has not sent a request head yet (of `client`, if given).
    fn oldest_unproven(&self, client: Option<IpAddr>) -> Option<u64> {
        self.open
            .iter()
            .filter(|(_, e)| !e.proven && client.is_none_or(|ip| e.peer.ip() == ip))
            .min_by_key(|(id, e)| (e.opened, **id))
            .map(|(id, _)| *id)
    }
}

impl ConnectionTracker {
    pub(crate) fn new(limits: ConnectionLimits) -> Arc<ConnectionTracker> {
        Arc::new(ConnectionTracker {
            limits,
            inner: Mutex::new(Inner::default()),
            refusals: Mutex::new(RefusalLog::default()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Admits a connection from `peer`, closing the oldest unproven one in its way if need be.
    pub(crate) fn admit(self: &Arc<Self>, peer: SocketAddr) -> Result<Ticket, Refusal> {
        let client = peer.ip();
        let mut inner = self.lock();
        let held = inner.per_client.get(&client).copied().unwrap_or(0);
        let victim = if held >= self.limits.max_per_client {
            match inner.oldest_unproven(Some(client)) {
                Some(victim) => Some(victim),
                None => {
                    drop(inner);
                    return Err(self.refused(Refusal::PerClient {
                        client,
                        max: self.limits.max_per_client,
                    }));
                }
            }
        } else if inner.open.len() >= self.limits.max_total {
            match inner.oldest_unproven(None) {
                Some(victim) => Some(victim),
                None => {
                    drop(inner);
                    return Err(self.refused(Refusal::Total {
                        max: self.limits.max_total,
                    }));
                }
            }
        } else {
            None
        };
        let evicted = victim.and_then(|id| inner.remove(id));
        let id = inner.next_id;
        inner.next_id += 1;
        let (evict, evicted_rx) = oneshot::channel();
        inner.open.insert(
            id,
            Entry {
                peer,
                opened: Instant::now(),
                proven: false,
                evict: Some(evict),
            },
        );
        *inner.per_client.entry(client).or_insert(0) += 1;
        inner.by_peer.insert(peer, id);
        drop(inner);
        if let Some(mut entry) = evicted {
            if let Some(evict) = entry.evict.take() {
                let _ = evict.send(());
            }
            self.log(|log| log.evicted += 1);
        }
        Ok(Ticket {
            id,
            tracker: Arc::clone(self),
            evicted: evicted_rx,
        })
    }

    /// The connection from `peer` has sent a complete request head: it is never evicted.
    pub(crate) fn proven(&self, peer: SocketAddr) {
        let mut inner = self.lock();
        if let Some(id) = inner.by_peer.get(&peer).copied() {
            if let Some(entry) = inner.open.get_mut(&id) {
                entry.proven = true;
            }
        }
    }

    #[cfg(test)]
    /// Open connections, and how many of them are from `client`.
    pub(crate) fn count(&self, client: IpAddr) -> (usize, usize) {
        let inner = self.lock();
        (
            inner.open.len(),
            inner.per_client.get(&client).copied().unwrap_or(0),
        )
    }

    fn refused(&self, refusal: Refusal) -> Refusal {
        self.log(|log| log.refused += 1);
        refusal
    }

    fn log(&self, count: impl FnOnce(&mut RefusalLog)) {
        let mut log = self.refusals.lock().unwrap_or_else(|p| p.into_inner());
        count(&mut log);
        let now = Instant::now();
        if log
            .last
            .is_some_and(|last| now.duration_since(last) < LOG_EVERY)
        {
            return;
        }
        warn!(
            refused = log.refused,
            evicted = log.evicted,
            max_connections = self.limits.max_total,
            max_per_client = self.limits.max_per_client,
            "connection limits reached: refused busy clients' extra connections, closed idle ones \
             that had not sent a request (counts since the last such line)"
        );
        log.last = Some(now);
        log.refused = 0;
        log.evicted = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(ip: &str, port: u16) -> SocketAddr {
        SocketAddr::new(ip.parse().unwrap(), port)
    }

    fn tracker(max_total: usize, max_per_client: usize) -> Arc<ConnectionTracker> {
        ConnectionTracker::new(ConnectionLimits {
            max_total,
            max_per_client,
        })
    }

    #[test]
    fn a_client_at_its_cap_replaces_its_oldest_unproven_connection() {
        let tracker = tracker(10, 2);
        let mut first = tracker.admit(peer("10.0.0.1", 1)).unwrap();
        let mut second = tracker.admit(peer("10.0.0.1", 2)).unwrap();
        let _third = tracker.admit(peer("10.0.0.1", 3)).unwrap();
        assert_eq!(first.evicted.try_recv(), Ok(()));
        assert!(second.evicted.try_recv().is_err());
        assert_eq!(tracker.count("10.0.0.1".parse().unwrap()), (2, 2));
        // The evicted one's ticket ends later; it must not free anyone else's place.
        drop(first);
        assert_eq!(tracker.count("10.0.0.1".parse().unwrap()), (2, 2));
    }

    #[test]
    fn proven_connections_are_kept_and_the_newcomer_refused() {
        let tracker = tracker(10, 2);
        let a = tracker.admit(peer("10.0.0.1", 1)).unwrap();
        let b = tracker.admit(peer("10.0.0.1", 2)).unwrap();
        tracker.proven(peer("10.0.0.1", 1));
        tracker.proven(peer("10.0.0.1", 2));
        let refusal = tracker.admit(peer("10.0.0.1", 3)).unwrap_err();
        assert!(matches!(refusal, Refusal::PerClient { max: 2, .. }));
        assert!(refusal.to_string().contains("maxConnectionsPerClient"));
        // Another address is still admitted.
        let _other = tracker.admit(peer("10.0.0.2", 1)).unwrap();
        drop((a, b));
        assert_eq!(tracker.count("10.0.0.1".parse().unwrap()), (1, 0));
    }

    #[test]
    fn a_full_gateway_replaces_the_oldest_unproven_connection_of_anyone() {
        let tracker = tracker(3, 3);
        let a = tracker.admit(peer("10.0.0.1", 1)).unwrap();
        tracker.proven(peer("10.0.0.1", 1));
        let mut b = tracker.admit(peer("10.0.0.2", 1)).unwrap();
        let mut c = tracker.admit(peer("10.0.0.2", 2)).unwrap();
        let _d = tracker.admit(peer("10.0.0.3", 1)).unwrap();
        assert_eq!(b.evicted.try_recv(), Ok(()));
        assert!(c.evicted.try_recv().is_err());
        drop(a);
        assert_eq!(tracker.count("10.0.0.2".parse().unwrap()), (2, 1));
    }

    #[test]
    fn a_full_gateway_of_proven_connections_refuses() {
        let tracker = tracker(1, 5);
        let _a = tracker.admit(peer("10.0.0.1", 1)).unwrap();
        tracker.proven(peer("10.0.0.1", 1));
        assert_eq!(
            tracker.admit(peer("10.0.0.2", 1)).unwrap_err(),
            Refusal::Total { max: 1 }
        );
    }
}
