//! Leases: a runner holds each checkout it drives under a lease (`checkout_domain::fencing`),
//! renews them all while it works or waits, and takes over the unfinished checkouts whose lease
//! has lapsed, because their runner died or lost touch with the shop. A takeover is a claim: a
//! holder that was only slow is superseded, and every store refuses it from then on.
//!
//! A lease is renewed every third of its length, and a survivor looks for lapsed ones as often,
//! so a dead runner's checkouts are driven again within about a lease and a third of its death.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use checkout_domain::fencing::{Fence, Lease};
use checkout_domain::{CheckoutId, CheckoutState, Next, Outcome};
use checkout_ports::{Shop, StorageError};

use crate::{DriveError, Driver, World};

/// How long a claim holds a checkout without renewal, in real milliseconds, unless the runner is
/// told otherwise: long enough that a busy machine or a slow store does not lose leases, short
/// enough that a dead runner's customers wait seconds, not minutes.
pub const DEFAULT_LEASE_MS: u64 = 10_000;

/// The checkouts this runner drives, with the fence each is held under.
#[derive(Default)]
pub(crate) struct Held(Mutex<HashMap<CheckoutId, Fence>>);

impl Held {
    fn lock(&self) -> MutexGuard<'_, HashMap<CheckoutId, Fence>> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn hold(&self, id: &CheckoutId, fence: Fence) {
        self.lock().insert(id.clone(), fence);
    }

    /// Stops holding `id`, unless a later drive holds it under another fence.
    pub(crate) fn release(&self, id: &CheckoutId, fence: Fence) {
        let mut held = self.lock();
        if held.get(id) == Some(&fence) {
            held.remove(id);
        }
    }

    fn all(&self) -> Vec<(CheckoutId, Fence)> {
        self.lock().iter().map(|(id, fence)| (id.clone(), *fence)).collect()
    }

    fn contains(&self, id: &CheckoutId) -> bool {
        self.lock().contains_key(id)
    }
}

impl<S: Shop, W: World> Driver<S, W> {
    /// How often leases are renewed and looked at: a third of a lease, in real time.
    pub(crate) fn lease_round(&self) -> std::time::Duration {
        self.clock.real(self.lease_ms / 3).max(std::time::Duration::from_millis(1))
    }

    /// The lease a claim made now holds its checkout under.
    pub fn lease(&self) -> Lease {
        Lease::starting(self.clock.now_ms(), self.lease_ms)
    }

    /// Renews the lease of every checkout this runner drives, in one call to the shop. Those a
    /// newer incarnation claimed are no longer held; their drives learn it at their next save.
    pub async fn renew_leases(&self) -> Result<(), StorageError> {
        let held = self.held.all();
        if held.is_empty() {
            return Ok(());
        }
        let renewed = self.shop.renew(&held, self.lease()).await;
        self.wrote(renewed.is_ok());
        let lost = renewed?;
        for (id, fence) in held.iter().filter(|(id, _)| lost.contains(id)) {
            self.held.release(id, *fence);
        }
        Ok(())
    }

    /// Gives up the lease of every checkout this runner drives, for a runner that stops: others
    /// take them over at their next sweep instead of a lease later. A drive still running here
    /// goes on until one of them claims its checkout, and is refused from then on.
    pub async fn release_leases(&self) -> Result<(), StorageError> {
        let held = self.held.all();
        if !held.is_empty() {
            self.shop.renew(&held, Lease::LAPSED).await?;
        }
        Ok(())
    }

    /// Claims every unfinished checkout whose lease has lapsed on this runner's clock and that
    /// it does not drive itself; answers what it claimed, for the caller to drive.
    pub async fn take_over_lapsed(&self) -> Result<Vec<(Fence, CheckoutState)>, StorageError> {
        let now = self.clock.now_ms();
        let mut taken = Vec::new();
        for id in self.shop.lapsed(now).await? {
            if self.held.contains(&id) {
                continue;
            }
            if let Some(claimed) = self.shop.take_over(&id, now, self.lease()).await? {
                taken.push(claimed);
            }
        }
        Ok(taken)
    }

    /// Drives checkout `id` to its end if nobody else may be driving it: takes it over if its
    /// lease has lapsed (or it was admitted under none). `Ok(None)` while another runner holds
    /// it under a live lease, or the shop cannot be read: look again later. An ended checkout
    /// answers its outcome, whoever ended it.
    pub async fn drive_unless_held(&self, id: &CheckoutId) -> Result<Option<Outcome>, DriveError> {
        match self.shop.take_over(id, self.clock.now_ms(), self.lease()).await {
            Ok(Some((fence, checkout))) => return self.drive_claimed(fence, checkout).await.map(Some),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(checkout = %id, error = %e, "taking it over failed; trying again");
                return Ok(None);
            }
        }
        match self.shop.load(id).await {
            Ok(Some(checkout)) => match checkout.next() {
                Next::Finished(outcome) => Ok(Some(outcome)),
                _ => Ok(None),
            },
            Ok(None) => Err(DriveError::Missing(id.clone())),
            Err(e) => {
                tracing::warn!(checkout = %id, error = %e, "reading it failed; trying again");
                Ok(None)
            }
        }
    }
}

/// Keeps `runner`'s leases until the task is dropped and, if `sweep`, takes over the checkouts
/// other runners abandoned and drives each to its end. Storage that fails is tried again at the
/// next round: a lease lost meanwhile is taken over by someone, which the fences make safe.
pub async fn supervise<S: Shop, W: World>(runner: Arc<Driver<S, W>>, sweep: bool) {
    let mut rounds = tokio::time::interval(runner.lease_round());
    rounds.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        rounds.tick().await;
        if let Err(e) = runner.renew_leases().await {
            tracing::warn!(error = %e, "renewing leases failed; trying again");
        }
        if !sweep {
            continue;
        }
        match runner.take_over_lapsed().await {
            Ok(taken) => {
                for (fence, checkout) in taken {
                    let runner = Arc::clone(&runner);
                    tokio::spawn(async move {
                        let id = checkout.id().clone();
                        tracing::info!(checkout = %id, "taken over, its holder's lease having lapsed");
                        if let Err(e) = runner.drive_claimed(fence, checkout).await {
                            tracing::warn!(checkout = %id, error = %e, "checkout stopped");
                        }
                    });
                }
            }
            Err(e) => tracing::warn!(error = %e, "looking for abandoned checkouts failed; trying again"),
        }
    }
}
