//! Fencing: one checkout, one orchestrator acting for it. A retried Lambda or a runner restarted
//! while the old one still runs gives a checkout two incarnations; without a fence both would
//! act, one dispatching while the other refunds. The rules, stated as plain values that every
//! adapter must behave like:
//!
//! - **Claim before acting.** An incarnation that loads a checkout claims it first: the saved
//!   record's [`Fence`] goes up by one and that number is the incarnation's fence. So a newer
//!   incarnation always holds a higher fence than every older one.
//! - **Save only under the latest claim** ([`Slot::save`]): a save names the fence it holds and
//!   is refused ([`Superseded`]) once someone has claimed the checkout since. Two incarnations can
//!   never both advance one checkout: the older one's next save fails, and it stops.
//! - **Stores refuse a superseded incarnation** ([`FenceBook`]): every command is sent with its
//!   incarnation's fence, and the shop's stores keep, per checkout, the highest fence any command
//!   for it has carried. A command with a lower one is refused, atomically with the effect it
//!   asks for. So once a newer incarnation has acted, an older one can do nothing more — not even
//!   the effects that no key can undo, like telling a courier to collect.
//! - **A claim holds its checkout under a [`Lease`]**, which its holder renews while it works or
//!   waits. A runner that dies stops renewing; once the lease has lapsed on a survivor's clock,
//!   the survivor takes the checkout over ([`Slot::take_over`]): a claim like any other, so a
//!   holder that was only slow (or whose clock ran behind) is superseded as above, never obeyed.
//!   A lease that has not lapsed is not taken over, so live runners do not steal each other's
//!   checkouts; clocks that disagree only move when a takeover happens, never what it may do.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::order::CheckoutId;

/// The claim number of one orchestrator incarnation of a checkout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fence(u64);

impl Fence {
    /// The fence of the incarnation that created the checkout.
    pub const FIRST: Fence = Fence(1);

    pub fn get(self) -> u64 {
        self.0
    }

    /// Wraps a fence read back from a store.
    pub fn from_stored(n: u64) -> Fence {
        Fence(n)
    }
}

/// An incarnation acted, or tried to, after a newer one claimed the checkout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("this orchestrator holds fence {held}, but the checkout was claimed since under fence {current}")]
pub struct Superseded {
    pub held: u64,
    pub current: u64,
}

/// A claim cannot go higher: the fence would no longer fit in 64 bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the checkout has been claimed {0} times; no fence is left")]
pub struct FencesExhausted(pub u64);

/// Until when a claim holds its checkout, in milliseconds since the epoch on its holder's clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Lease(u64);

impl Lease {
    /// A lease that never lapses: the checkout's host supervises it and retries it itself (Step
    /// Functions), so no runner's sweep may take it over.
    pub const HELD_BY_HOST: Lease = Lease(u64::MAX);
    /// A lease that has lapsed already (a record written before leases, or a test's).
    pub const LAPSED: Lease = Lease(0);

    /// A lease from `now_ms` for `duration_ms`.
    pub fn starting(now_ms: u64, duration_ms: u64) -> Lease {
        Lease(now_ms.saturating_add(duration_ms))
    }

    /// Wraps a lease read back from a store.
    pub fn from_stored(until_ms: u64) -> Lease {
        Lease(until_ms)
    }

    pub fn until_ms(self) -> u64 {
        self.0
    }

    /// Whether the lease has lapsed by `now_ms`, on the clock of whoever asks.
    pub fn lapsed(self, now_ms: u64) -> bool {
        self.0 < now_ms
    }
}

/// One saved checkout in the repository, with the fence of its latest claim and the lease it
/// holds the checkout under.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Slot<R> {
    fence: Fence,
    lease: Lease,
    record: R,
}

impl<R> Slot<R> {
    /// A new checkout's slot, claimed under `lease` by the incarnation that created it
    /// ([`Fence::FIRST`]).
    pub fn new(record: R, lease: Lease) -> Slot<R> {
        Slot { fence: Fence::FIRST, lease, record }
    }

    /// A slot as a repository read it back: its latest claim, that claim's lease and its record.
    pub fn from_stored(fence: Fence, lease: Lease, record: R) -> Slot<R> {
        Slot { fence, lease, record }
    }

    /// The lease of the latest claim.
    pub fn lease(&self) -> Lease {
        self.lease
    }

    pub fn record(&self) -> &R {
        &self.record
    }

    /// The fence of the latest claim.
    pub fn fence(&self) -> Fence {
        self.fence
    }

    /// A new incarnation claims the checkout under `lease`: its fence is returned, and every
    /// older incarnation is superseded.
    pub fn claim(&mut self, lease: Lease) -> Result<Fence, FencesExhausted> {
        self.fence = Fence(self.fence.0.checked_add(1).ok_or(FencesExhausted(self.fence.0))?);
        self.lease = lease;
        Ok(self.fence)
    }

    /// A runner sweeping for abandoned checkouts claims this one under `lease` if its holder's
    /// lease has lapsed by `now_ms` (the sweeper's clock); `None`, changing nothing, if it has not.
    pub fn take_over(&mut self, now_ms: u64, lease: Lease) -> Result<Option<Fence>, FencesExhausted> {
        if !self.lease.lapsed(now_ms) {
            return Ok(None);
        }
        self.claim(lease).map(Some)
    }

    /// The incarnation holding `held` extends its hold to `lease`, unless a newer one claimed
    /// the checkout since.
    pub fn renew(&mut self, held: Fence, lease: Lease) -> Result<(), Superseded> {
        if held != self.fence {
            return Err(Superseded { held: held.0, current: self.fence.0 });
        }
        self.lease = lease;
        Ok(())
    }

    /// Saves `record` for the incarnation holding `held`, unless a newer one has claimed it.
    pub fn save(&mut self, held: Fence, record: R) -> Result<(), Superseded> {
        if held != self.fence {
            return Err(Superseded { held: held.0, current: self.fence.0 });
        }
        self.record = record;
        Ok(())
    }
}

/// Per checkout, the highest fence any command for it has carried to the shop's stores.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FenceBook {
    marks: BTreeMap<CheckoutId, Fence>,
}

impl FenceBook {
    /// Whether a command for `checkout` carrying `fence` may act: refused if a newer incarnation
    /// has acted; otherwise says whether admitting it raises the mark.
    pub fn check(&self, checkout: &CheckoutId, fence: Fence) -> Result<bool, Superseded> {
        match self.marks.get(checkout) {
            Some(mark) if fence < *mark => Err(Superseded { held: fence.0, current: mark.0 }),
            Some(mark) => Ok(fence > *mark),
            None => Ok(true),
        }
    }

    /// Admits a command for `checkout` carrying `fence` (by [`FenceBook::check`]), raising the
    /// mark to `fence`. An adapter does this in the same transaction as the command's effect.
    pub fn admit(&mut self, checkout: &CheckoutId, fence: Fence) -> Result<(), Superseded> {
        if self.check(checkout, fence)? {
            self.marks.insert(checkout.clone(), fence);
        }
        Ok(())
    }

    /// A fence book as a store read it back (or the part of it one call needs).
    pub fn restore(marks: impl IntoIterator<Item = (CheckoutId, Fence)>) -> FenceBook {
        FenceBook { marks: marks.into_iter().collect() }
    }

    /// The highest fence admitted for `checkout`, if any.
    pub fn mark(&self, checkout: &CheckoutId) -> Option<Fence> {
        self.marks.get(checkout).copied()
    }
}
