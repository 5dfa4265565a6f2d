//! Symmetry reduction for our saga: orders that differ only in their id (same book, customer,
//! quantity and choice about points) are interchangeable, so two states that differ only by
//! renaming such orders are the same situation. The checker tells states apart by the
//! fingerprint made here, which is the same for every renaming of alike orders and, short of a
//! 64-bit collision, differs between states that are not renamings of each other.
//!
//! Each order is described by everything the state holds about it — its checkout, its effects in
//! every ledger, its messages in flight — with its own id masked out. Alike orders' descriptions
//! are hashed as a sorted list, so their order does not matter; everything else is hashed as is.

use std::hash::{BuildHasher, Hash, Hasher};

use checkout_domain::{Order, OrderId, TaskToken};

use crate::check::fingerprint_hasher;
use crate::saga::SagaState;
use crate::scenario::Scenario;

/// The alike orders of a scenario, and what the fingerprint needs to know of each run.
#[derive(Clone, Debug)]
pub struct Symmetry {
    /// The groups of interchangeable runs (every run is in exactly one group).
    groups: Vec<Vec<usize>>,
    ids: Vec<OrderId>,
    tokens: Vec<TaskToken>,
}

impl Symmetry {
    /// The symmetry of `scenario`, if it has two or more alike orders.
    pub fn of(scenario: &Scenario) -> Option<Symmetry> {
        let key = |o: &Order| (o.book().clone(), o.user().clone(), o.quantity(), o.redeem_points());
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for (i, order) in scenario.orders.iter().enumerate() {
            match groups.iter_mut().find(|g| key(&scenario.orders[g[0]]) == key(order)) {
                Some(group) => group.push(i),
                None => groups.push(vec![i]),
            }
        }
        let ids: Vec<OrderId> = scenario.orders.iter().map(|o| o.id().clone()).collect();
        let tokens = ids.iter().map(TaskToken::for_order).collect();
        groups.iter().any(|g| g.len() > 1).then_some(Symmetry { groups, ids, tokens })
    }

    /// The run whose order has id `id`. Ids are shared, so the allocation usually tells; the
    /// text decides otherwise (a checkout reloaded after a crash has its own copy).
    fn run_of(&self, id: &OrderId) -> usize {
        let same = |a: &OrderId| std::ptr::eq(a.as_str().as_ptr(), id.as_str().as_ptr());
        self.ids
            .iter()
            .position(same)
            .or_else(|| self.ids.iter().position(|a| a == id))
            .expect("every key is a scenario order's")
    }

    /// The fingerprint of `state` up to renaming the alike orders within each group.
    pub fn fingerprint(&self, scenario: &Scenario, state: &SagaState) -> u64 {
        // A run's kept fingerprint already leaves out its own id (see [`masked_fingerprint`]).
        let mut runs: Vec<ahash::AHasher> = state
            .runs
            .iter()
            .map(|run| {
                let mut h = hasher();
                h.write_u64(run.fingerprint());
                h
            })
            .collect();
        let stores = &state.stores;
        // The account is the scenario's one book or one customer in every entry: not hashed.
        let stock = stores.inventory.stock.entries().map(|(k, e)| (0u8, k, e.amount, e.state));
        let points = stores.points.entries().map(|(k, e)| (1u8, k, e.amount, e.state));
        let wallets = stores.wallets.entries().map(|(k, e)| (2u8, k, e.amount, e.state));
        for (ledger, key, amount, entry_state) in stock.chain(points).chain(wallets) {
            (ledger, key.effect(), amount, entry_state).hash(&mut runs[self.run_of(key.order())]);
        }
        // A message names its run by position, which is what is renamed: it counts towards
        // that run's description, with the run's own token masked.
        let token = |run: usize, t: &TaskToken| (*t != self.tokens[run]).then(|| t.as_str().to_owned());
        for request in &state.courier_queue {
            ("request", token(request.run, &request.token)).hash(&mut runs[request.run]);
        }
        for reply in &state.courier_replies {
            ("reply", token(reply.run, &reply.token), reply.assigned).hash(&mut runs[reply.run]);
        }
        let descriptions: Vec<u64> = runs.iter().map(Hasher::finish).collect();

        let mut h = hasher();
        for group in &self.groups {
            let mut alike: Vec<u64> = group.iter().map(|&run| descriptions[run]).collect();
            alike.sort_unstable();
            alike.hash(&mut h);
        }
        let balances = (
            stores.inventory.stock.balance(&scenario.book),
            stores.points.balance(&scenario.user),
            stores.wallets.balance(&scenario.user),
        );
        balances.hash(&mut h);
        (state.faults_left, state.crashes_left, state.credits_left).hash(&mut h);
        (state.refused_with_stock_available, state.reply_refused, state.reload_failed).hash(&mut h);
        h.finish()
    }
}

/// The fingerprint of `value` with every occurrence of the order id `own` left out. A run is
/// fingerprinted so: its position in the state already says which order it is, and the
/// symmetric fingerprint can then compare alike runs by this alone.
pub fn masked_fingerprint<T: Hash>(value: &T, own: &OrderId) -> u64 {
    let mut h = MaskId { inner: hasher(), id: own.as_str().as_bytes() };
    value.hash(&mut h);
    h.finish()
}

fn hasher() -> ahash::AHasher {
    fingerprint_hasher().build_hasher()
}

/// Hashes like its inner hasher, except that the bytes of one id are written as a placeholder.
/// Ids reach a hasher as one `write` of their bytes, so every occurrence is caught; every other
/// write is passed on as it is, so no other value can be mistaken for the id.
struct MaskId<'a> {
    inner: ahash::AHasher,
    id: &'a [u8],
}

impl Hasher for MaskId<'_> {
    fn finish(&self) -> u64 {
        self.inner.finish()
    }
    fn write(&mut self, bytes: &[u8]) {
        if bytes == self.id {
            self.inner.write(b"\x00own id\x00");
        } else {
            self.inner.write(bytes);
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
