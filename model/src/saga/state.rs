//! The model's state: each checkout as its orchestrators see it, the stores, the courier queue
//! and replies, and the fault budgets left.

use super::*;

/// One checkout as its orchestrators see it: the saved record, what the live incarnation holds
/// only in memory, and the zombie incarnation, if one still runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    /// The saved checkout and the fence of its latest claim, which the live incarnation holds.
    /// Saved after every step; survives crashes.
    pub slot: Slot<CheckoutState>,
    /// Which submission opened this checkout.
    pub submission: u8,
    /// The token the runtime issues when this checkout's courier wait opens. A stand-in for a
    /// random one: the model's forger never learns how it is made.
    pub token: TaskToken,
    /// What the live incarnation holds only in memory: failed attempts of the current step, and
    /// whether it sent the courier request (the engine clears it when the wait ends).
    pub progress: Progress,
    /// An older incarnation that was superseded but still runs, with what it last loaded.
    pub zombie: Option<Zombie>,
    /// Ghost: the amount due of the charge the order asked for.
    pub amount_due: Option<u64>,
    /// Ghost: a charge went through at least once.
    pub was_billed: bool,
    /// Ghost: points were taken at least once.
    pub redeemed_points: bool,
    /// Ghost: a store refused one of this checkout's compensations for good.
    pub compensation_refused: bool,
    /// A call of this checkout that was sent but has not landed yet, overtaken by what the
    /// checkout did next: it lands later, under the fence it was sent with.
    pub in_flight: Option<InFlight>,
    /// Ghost: a notice telling a courier to collect this order has landed.
    pub courier_told: bool,
    /// The runner holding the latest claim died for good: nothing drives the checkout until
    /// another runner takes it over, which it may once the dead one's lease has lapsed.
    pub holder_dead: bool,
    /// Ghost: how the checkout answered the customer's first cancel, if one came.
    pub cancel: Option<CancelAnswer>,
    /// Ghost: what the stores held under this checkout's stock, points and charge keys when an
    /// operator resolved it.
    pub held_when_resolved: Option<[u64; 3]>,
}

/// A call on its way to a store or the notification service, slower than its caller's patience.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InFlight {
    pub command: Command,
    pub fence: Fence,
}

/// Everything but `submission`, which the checkout id and order already determine (two runs
/// with the same of both, possible only without the registry, read the same keys), and which
/// would otherwise tell alike runs apart by their position.
impl std::hash::Hash for Run {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        let Run {
            slot,
            submission: _,
            token,
            progress,
            zombie,
            amount_due,
            was_billed,
            redeemed_points,
            compensation_refused,
            in_flight,
            courier_told,
            holder_dead,
            cancel,
            held_when_resolved,
        } = self;
        (slot, token, progress, zombie, amount_due, was_billed, redeemed_points, compensation_refused).hash(h);
        (in_flight, courier_told, holder_dead, cancel, held_when_resolved).hash(h);
    }
}

impl Run {
    /// The checkout as last saved.
    pub fn checkout(&self) -> &CheckoutState {
        self.slot.record()
    }

    /// Saves a step of the live incarnation, which holds the latest claim.
    pub(super) fn save(&mut self, checkout: CheckoutState) {
        let fence = self.slot.fence();
        self.slot.save(fence, checkout).expect("the live incarnation holds the latest claim");
    }
}

/// A superseded orchestrator incarnation: the checkout as it loaded it, and its fence.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Zombie {
    pub checkout: CheckoutState,
    pub fence: Fence,
}

impl Fingerprint for Run {
    /// Leaves out the run's own ids (checkout, order and courier token): a run's position in the
    /// state says which it is (a checkout never changes them), and alike runs compare by this alone.
    fn fingerprint(&self) -> u64 {
        let checkout = self.checkout();
        masked_fingerprint(self, [checkout.id().as_str(), checkout.order().id().as_str(), self.token.as_str()])
    }
}

impl Fingerprint for Inventory {
    fn fingerprint(&self) -> u64 {
        crate::check::fingerprint(self)
    }
}

impl Fingerprint for Ledger<UserId> {
    fn fingerprint(&self) -> u64 {
        crate::check::fingerprint(self)
    }
}

impl Fingerprint for FenceBook {
    fn fingerprint(&self) -> u64 {
        crate::check::fingerprint(self)
    }
}

impl Fingerprint for OrderRegistry {
    fn fingerprint(&self) -> u64 {
        crate::check::fingerprint(self)
    }
}

/// A courier request on the queue to the worker.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CourierRequest {
    pub run: usize,
    pub token: TaskToken,
}

/// The worker's answer, routed back to the waiting checkout by its task token.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CourierReply {
    pub run: usize,
    pub token: TaskToken,
    pub assigned: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SagaState {
    /// Each checkout, shared with the states before it until a step changes it.
    /// Held inline: a scenario has a handful of orders, and states are copied by the million.
    pub runs: SmallVec<[Shared<Run>; 4]>,
    /// Shared between states until a step changes a store: most steps do not.
    pub inventory: Shared<Inventory>,
    pub points: Shared<Ledger<UserId>>,
    pub wallets: Shared<Ledger<UserId>>,
    /// The stores' fence marks, per checkout (see `checkout_domain::fencing`).
    pub fences: Shared<FenceBook>,
    /// Every order admitted, and its checkout.
    pub registry: Shared<OrderRegistry>,
    /// The resubmissions not yet made, one bit each.
    pub pending_submissions: u8,
    /// Sorted, so that the same multiset of messages is the same state.
    pub courier_queue: Vec<CourierRequest>,
    pub courier_replies: Vec<CourierReply>,
    pub faults_left: u8,
    pub crashes_left: u8,
    pub credits_left: u8,
    pub restocks_left: u8,
    pub refusals_left: u8,
    pub foreign_left: u8,
    pub zombies_left: u8,
    pub overtakes_left: u8,
    pub deaths_left: u8,
    pub cancels_left: u8,
    pub resolutions_left: u8,
    pub refused_with_stock_available: bool,
    /// Ghost: a checkout accepted a courier reply that was not the worker's answer to it.
    pub foreign_reply_accepted: bool,
    /// Ghost: the record of a checkout that had ended was saved over.
    pub ended_checkout_changed: bool,
    /// Ghost: some checkout refused the reply to its own command.
    pub reply_refused: bool,
    /// Ghost: after a crash, some checkout did not reload from its record as it was saved.
    pub reload_failed: bool,
}
