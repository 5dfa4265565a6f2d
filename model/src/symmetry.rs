//! Symmetry reduction: orders that differ only in their id (same book, customer, quantity and
//! choice about points) are interchangeable, so two states that differ only by renaming such
//! orders are the same situation. The checker tells states apart by a fingerprint built with
//! [`Descriptions`], which is the same for every renaming of alike orders and, short of a 64-bit
//! collision, differs between states that are not renamings of each other.
//!
//! A model describes each order by everything its state holds about it — the checkout, its
//! effects in every ledger, its messages in flight — with the order's own id masked out. Alike
//! orders' descriptions are hashed as a sorted list, so their order does not matter; everything
//! else is hashed as is.

use std::hash::{BuildHasher, Hash, Hasher};

use checkout_domain::{CheckoutId, Order};
use smallvec::SmallVec;

use crate::check::fingerprint_hasher;
use crate::scenario::Scenario;

/// The alike orders of a scenario, and what a fingerprint needs to know of each run.
#[derive(Clone, Debug)]
pub struct Symmetry {
    /// The groups of interchangeable runs (every run is in exactly one group).
    groups: Vec<Vec<usize>>,
    /// Each run's checkout id, which its effect keys derive from.
    ids: Vec<CheckoutId>,
}

impl Symmetry {
    /// The symmetry of `scenario`, whose orders open the checkouts `ids`, if it has two or more
    /// alike orders. A scenario whose checkouts open as it runs (resubmissions) has none here.
    pub fn of(scenario: &Scenario, ids: &[CheckoutId]) -> Option<Symmetry> {
        if !scenario.resubmissions.is_empty() {
            return None;
        }
        let key = |o: &Order| (o.book().clone(), o.user().clone(), o.quantity(), o.redeem_points());
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for (i, order) in scenario.orders.iter().enumerate() {
            match groups.iter_mut().find(|g| key(&scenario.orders[g[0]]) == key(order)) {
                Some(group) => group.push(i),
                None => groups.push(vec![i]),
            }
        }
        groups.iter().any(|g| g.len() > 1).then(|| Symmetry { groups, ids: ids.to_vec() })
    }

    /// The run whose checkout has id `id`. Ids are shared, so the allocation usually tells; the
    /// text decides otherwise (a checkout reloaded after a crash has its own copy).
    fn run_of(&self, id: &CheckoutId) -> usize {
        let same = |a: &CheckoutId| std::ptr::eq(a.as_str().as_ptr(), id.as_str().as_ptr());
        self.ids
            .iter()
            .position(same)
            .or_else(|| self.ids.iter().position(|a| a == id))
            .expect("every key is a scenario order's")
    }

    /// Starts the descriptions of the runs of one state, each from its kept fingerprint (which
    /// leaves out the run's own id, see [`masked_fingerprint`]).
    pub fn describe(&self, run_fingerprints: impl Iterator<Item = u64>) -> Descriptions<'_> {
        let runs = run_fingerprints
            .map(|print| {
                let mut h = hasher();
                h.write_u64(print);
                h
            })
            .collect();
        Descriptions { symmetry: self, runs }
    }
}

/// What one state holds about each run, gathered run by run, then hashed so that the order of
/// alike runs does not matter.
pub struct Descriptions<'a> {
    symmetry: &'a Symmetry,
    runs: SmallVec<[ahash::AHasher; 4]>,
}

impl Descriptions<'_> {
    /// Adds `value` to the description of the run whose checkout is `id`.
    pub fn add_for_checkout(&mut self, id: &CheckoutId, value: impl Hash) {
        let run = self.symmetry.run_of(id);
        self.add(run, value);
    }

    /// Adds `value` to the description of run `run`. A message that names its run by position
    /// (which is what renaming changes) adds itself, without the position, to that run.
    pub fn add(&mut self, run: usize, value: impl Hash) {
        value.hash(&mut self.runs[run]);
    }

    /// The fingerprint: alike runs' descriptions as a sorted list per group, then `rest`, the
    /// parts of the state that belong to no run.
    pub fn finish(self, rest: impl Hash) -> u64 {
        let descriptions: SmallVec<[u64; 4]> = self.runs.iter().map(Hasher::finish).collect();
        let mut h = hasher();
        for group in &self.symmetry.groups {
            let mut alike: SmallVec<[u64; 4]> = group.iter().map(|&run| descriptions[run]).collect();
            alike.sort_unstable();
            alike.hash(&mut h);
        }
        rest.hash(&mut h);
        h.finish()
    }
}

/// The fingerprint of `value` with every occurrence of the run's own ids (its checkout's, its
/// order's, its courier token) left out. A run is fingerprinted so: its position in the state
/// already says which it is, and the symmetric fingerprint can then compare alike runs by this
/// alone.
pub fn masked_fingerprint<T: Hash>(value: &T, ids: [&str; 3]) -> u64 {
    let mut h = MaskId { inner: hasher(), ids: ids.map(str::as_bytes) };
    value.hash(&mut h);
    h.finish()
}

fn hasher() -> ahash::AHasher {
    fingerprint_hasher().build_hasher()
}

/// Hashes like its inner hasher, except that the bytes of the given ids are written as
/// placeholders. Ids reach a hasher as one `write` of their bytes, so every occurrence is
/// caught; every other write is passed on as it is, so no other value can be mistaken for an id.
struct MaskId<'a> {
    inner: ahash::AHasher,
    ids: [&'a [u8]; 3],
}

impl Hasher for MaskId<'_> {
    fn finish(&self) -> u64 {
        self.inner.finish()
    }
    fn write(&mut self, bytes: &[u8]) {
        match self.ids.iter().position(|id| *id == bytes) {
            Some(which) => self.inner.write(&[0, 0xff, which as u8]),
            None => self.inner.write(bytes),
        }
    }
    fn write_u8(&mut self, n: u8) {
        self.inner.write_u8(n)
    }
    fn write_u16(&mut self, n: u16) {
        self.inner.write_u16(n)
    }
    fn write_u32(&mut self, n: u32) {
        self.inner.write_u32(n)
    }
    fn write_u64(&mut self, n: u64) {
        self.inner.write_u64(n)
    }
    fn write_u128(&mut self, n: u128) {
        self.inner.write_u128(n)
    }
    fn write_usize(&mut self, n: usize) {
        self.inner.write_usize(n)
    }
}
