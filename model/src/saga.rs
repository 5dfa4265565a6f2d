//! The model of our checkout saga. Each checkout is a [`CheckoutState`] from the domain crate and
//! moves only through its `next`/`compute`/`apply` methods, so the checker explores the very
//! transition code that ships. The stores are the in-memory keyed stores adapter; the courier
//! worker, the queues and the faults are the model's own.
//!
//! Faults the checker may place anywhere, within the scenario's budget: a call that fails before
//! it takes effect, a call whose reply is lost after it took effect, a step that fails for good,
//! an orchestrator crash (before or after an effect, losing its volatile progress), a lost or
//! duplicated queue message or worker reply, a courier worker that cannot assign a courier, and a
//! courier deadline that passes while the worker is still busy. Where a scenario allows them: a
//! call overtaken by the next step of its checkout (sent, but so slow that the orchestrator's wait
//! for it ends and the checkout goes on; it lands later), a compensation refused for good, a courier reply forged from a checkout's public id or handed to
//! a checkout it was not meant for, an orchestrator superseded while it still runs (a zombie), a
//! runner that dies for good (its checkouts taken over by another once its lease lapses), and a
//! client that submits an order again or reuses its id for another order.
//!
//! Each protection against those can be switched off ([`Weakness`]), to show that the checker
//! sees what it guards.

use std::collections::HashMap;
use std::sync::Mutex;

use checkout_domain::fencing::{Fence, FenceBook, Lease, Slot};
use checkout_domain::ledger::Ledger;
use checkout_domain::operation::Operation;
use checkout_domain::protocol::{PointsRestored, RefundReceipt, StockReleased, Unavailable};
use checkout_domain::registry::{Admission, OrderRegistry};
use checkout_domain::states::Compensation;
use checkout_domain::{
    CheckoutId, CheckoutState, Command, CourierId, Effect, EffectKey, Event, Money, Next, Order, Phase, Points,
    TaskToken, UserId,
};
use checkout_engine::{Action, AfterCall, CallError, Engine, Policy, Progress};
use checkout_memory::{apply_operation, perform_payment, perform_points, Inventory, Store};
use smallvec::SmallVec;
use stateright::Model;

use crate::audit::{as_i64, Audit, Audited, Holdings, OrderAudit, Status, Unreturned};
use crate::before_no_return::given_up_notice;
use crate::multiset::{duplicate, insert_sorted};
use crate::scenario::{Scenario, POINTS_CREDIT, RESTOCK_COPIES};
use crate::shared::{Fingerprint, Shared};
use crate::symmetry::{masked_fingerprint, Symmetry};
use crate::trace::{Actor, Narrated, Step};

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
        } = self;
        (slot, token, progress, zombie, amount_due, was_billed, redeemed_points, compensation_refused).hash(h);
        (in_flight, courier_told, holder_dead).hash(h);
    }
}

impl Run {
    /// The checkout as last saved.
    pub fn checkout(&self) -> &CheckoutState {
        self.slot.record()
    }

    /// Saves a step of the live incarnation, which holds the latest claim.
    fn save(&mut self, checkout: CheckoutState) {
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

/// What can go wrong with one call to a store or the notification service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallFault {
    /// Fails before taking effect; the caller sees an error.
    FailsBeforeEffect,
    /// Takes effect, but the reply is lost; the caller sees an error.
    ReplyLost,
    /// Fails for good (declined, unavailable): the step gives up at once.
    FailsForGood,
    /// Takes effect, then the orchestrator crashes before persisting the new state.
    CrashAfterEffect,
    /// A compensation is refused for good (a closed card): nothing is given back.
    RefusedForGood,
    /// Sent, but so slow that the caller's wait ends first: the caller sees an unknown outcome
    /// and its checkout goes on (a retry, giving up, compensating); the call lands later.
    Overtaken,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SagaAction {
    /// Perform the checkout's current side effect, cleanly or with a fault.
    Call {
        run: usize,
        fault: Option<CallFault>,
    },
    /// The runner driving the checkout dies for good.
    Die {
        run: usize,
    },
    /// A sweeping runner takes over the checkout of a dead one, its lease having lapsed.
    TakeOver {
        run: usize,
    },
    /// Take the checkout's pure step.
    Compute {
        run: usize,
    },
    /// Send the courier request for a checkout waiting for a courier.
    RequestCourier {
        run: usize,
    },
    /// The orchestrator crashes between steps and restarts from the persisted state.
    Crash {
        run: usize,
    },
    /// The worker takes a request off the queue and replies (or fails to assign a courier).
    Work {
        request: usize,
        assigns: bool,
    },
    LoseRequest {
        request: usize,
    },
    DuplicateRequest {
        request: usize,
    },
    Deliver {
        reply: usize,
    },
    LoseReply {
        reply: usize,
    },
    DuplicateReply {
        reply: usize,
    },
    /// The courier deadline of a waiting checkout passes.
    DeadlinePasses {
        run: usize,
    },
    /// Points reach the customer from outside the checkout (`checkout credit`).
    CreditPoints,
    /// An operator adds a copy to the shelf (`checkout restock`).
    Restock,
    /// A reply made up from the checkout's public id arrives for its courier wait.
    ForgeReply {
        run: usize,
    },
    /// A worker reply is handed to a waiting checkout it was not meant for.
    Misdeliver {
        reply: usize,
        to: usize,
    },
    /// A new incarnation claims the checkout while the old one still runs, as a zombie.
    Supersede {
        run: usize,
    },
    /// The zombie takes one step with what it loaded, then tries to save it.
    ZombieActs {
        run: usize,
    },
    /// A call that was overtaken by its checkout's next step finally lands.
    Land {
        run: usize,
    },
    /// The client submits an order again.
    Submit {
        submission: usize,
    },
}

/// A protection of ours switched off on purpose, to show that the checker sees what it guards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Weakness {
    /// Courier tokens made from the checkout id, as the first version made them: whoever knows
    /// the id can forge the worker's reply.
    PublicTokens,
    /// One token for every courier wait, so any reply fits any waiting checkout.
    SharedToken,
    /// No fencing: the stores ignore fences, and a save overwrites whatever was saved since.
    NoFencing,
    /// No order registry: every submission opens a checkout under an id made from its order id.
    NoRegistry,
    /// A compensation refused for good is recorded as if it had given everything back.
    RefusalTakenAsDone,
    /// The engine lets a compensation give up after one failed attempt, as if refused.
    CompensationGivesUp,
    /// The engine gives the courier notice up after its attempts (or at a refusal) and
    /// compensates, as it did before the point of no return.
    NoticeGivesUp,
    /// Nothing takes over a dead runner's checkouts: they wait for a restart that may never
    /// come, as before leases.
    NoTakeover,
    /// An operator's restock sets the shelf to the catalog's count instead of adding, as `init`
    /// on a live shop did: copies already sold are put back.
    RestockSets,
}

impl Weakness {
    pub const ALL: [Weakness; 9] = [
        Weakness::PublicTokens,
        Weakness::SharedToken,
        Weakness::NoFencing,
        Weakness::NoRegistry,
        Weakness::RefusalTakenAsDone,
        Weakness::CompensationGivesUp,
        Weakness::NoticeGivesUp,
        Weakness::NoTakeover,
        Weakness::RestockSets,
    ];

    /// The protection switched off, in words.
    pub fn protection(self) -> &'static str {
        match self {
            Weakness::PublicTokens => "courier tokens nobody can derive",
            Weakness::SharedToken => "a token of its own for each courier wait",
            Weakness::NoFencing => "fencing",
            Weakness::NoRegistry => "the order registry",
            Weakness::RefusalTakenAsDone => "raising refused compensations",
            Weakness::CompensationGivesUp => "compensations retried until they succeed",
            Weakness::NoticeGivesUp => "the point of no return",
            Weakness::NoTakeover => "taking over a dead runner's checkouts",
            Weakness::RestockSets => "operator operations that only add",
        }
    }

    /// What the weakened copy does instead, in words.
    pub fn description(self) -> &'static str {
        match self {
            Weakness::PublicTokens => "courier tokens made from the checkout id (`<checkout>:prepare-order`)",
            Weakness::SharedToken => "one courier token shared by every wait",
            Weakness::NoFencing => "stores ignore fences, and a save overwrites newer saves",
            Weakness::NoRegistry => "each submission opens a checkout `ck-<order id>`",
            Weakness::RefusalTakenAsDone => "a compensation refused for good is recorded as given back",
            Weakness::CompensationGivesUp => "the engine gives a compensation up after one failed attempt",
            Weakness::NoticeGivesUp => {
                "the engine gives the courier notice up like a forward step and compensates (the code before it)"
            }
            Weakness::NoTakeover => "a dead runner's checkouts wait for a restart (the code before leases)",
            Weakness::RestockSets => "a restock sets the shelf to the catalog's count, as `init` on a live shop did",
        }
    }

    /// The scenario whose faults the protection guards against.
    pub fn scenario(self) -> Scenario {
        match self {
            Weakness::PublicTokens | Weakness::SharedToken => Scenario::foreign_replies(),
            Weakness::NoFencing => Scenario::zombie(),
            Weakness::NoRegistry => Scenario::resubmitted(),
            Weakness::RefusalTakenAsDone => Scenario::refused_refund(),
            Weakness::CompensationGivesUp | Weakness::NoticeGivesUp => Scenario::single_order(),
            Weakness::NoTakeover => Scenario::dead_runner(),
            Weakness::RestockSets => Scenario::last_copy(),
        }
    }

    /// The property that fails with the protection off.
    pub fn breaks(self) -> &'static str {
        match self {
            Weakness::PublicTokens | Weakness::SharedToken => "only the worker's reply is accepted",
            Weakness::NoFencing => "dispatched orders are whole",
            Weakness::NoRegistry => "one checkout per order",
            Weakness::RefusalTakenAsDone => "nothing silently stays taken",
            Weakness::CompensationGivesUp => "an operator is called only for a refusal",
            Weakness::NoticeGivesUp => "a courier collects only what is sold",
            Weakness::NoTakeover => "every checkout terminates",
            Weakness::RestockSets => "no oversell",
        }
    }
}

/// The courier the worker assigns.
fn courier() -> CourierId {
    CourierId::new("courier-1").expect("valid id")
}

/// The courier a forged reply names.
fn impostor() -> CourierId {
    CourierId::new("courier-forged").expect("valid id")
}

/// The token a forger guesses from a checkout id it knows: how the first version made tokens.
fn guessed_token(checkout: &CheckoutId) -> TaskToken {
    TaskToken::new(format!("{checkout}:prepare-order")).expect("a valid token")
}

/// The lease a runner claims a checkout under at `now_ms`. While it lives it renews the lease in
/// time, so the lease lapses only after its holder died: the model keeps the one last renewed.
fn runner_lease(now_ms: u64) -> Lease {
    Lease::starting(now_ms, checkout_drive::leases::DEFAULT_LEASE_MS)
}

/// Every checkout's charge happens at this time in the model; the deadline counts from it.
const CHARGE_TIME_MS: u64 = 0;

pub struct SagaModel {
    pub scenario: Scenario,
    /// A compensation to break on purpose: it reports success without giving anything back.
    /// Used only to show that the properties notice a missing compensation.
    pub sabotaged: Option<Compensation>,
    /// A protection switched off on purpose (see [`Weakness`]).
    pub weakness: Option<Weakness>,
    /// Take each pure step together with the step before it. Sound because a pure step touches
    /// nothing but its own checkout and nothing else can happen to that checkout in between; a
    /// test compares every verdict with this switched off.
    pub fuse_pure_steps: bool,
    /// The scenario's interchangeable orders, when the checker is to visit one state for every
    /// renaming of them (see [`crate::symmetry`]).
    pub symmetry: Option<Symmetry>,
    /// Checkouts already saved and reloaded once, and whether each came back as itself.
    reloads: Mutex<HashMap<CheckoutState, bool>>,
    /// Per submission: the checkout id it opens if admitted, its courier token, and its
    /// reserve-stock, redeem-points and charge keys, which the audit reads every state.
    checkout_ids: Vec<CheckoutId>,
    tokens: Vec<TaskToken>,
    keys: Vec<[EffectKey; 3]>,
    /// The orchestration policy that ships, with the scenario's retry budget.
    pub engine: Engine,
}

impl SagaModel {
    pub fn new(scenario: Scenario) -> SagaModel {
        SagaModel::weakened(scenario, None)
    }

    /// The model with one protection switched off, or none.
    pub fn weakened(scenario: Scenario, weakness: Option<Weakness>) -> SagaModel {
        // With the registry, a submission that opens a checkout gets a fresh id; without it, the
        // id is made from the order id, and a resubmission's collides with the first one's.
        let checkout_ids: Vec<CheckoutId> = scenario
            .submissions()
            .enumerate()
            .map(|(k, order)| {
                let id = if k < scenario.orders.len() || weakness == Some(Weakness::NoRegistry) {
                    format!("ck-{}", order.id())
                } else {
                    format!("ck-{}-{}", order.id(), k + 1)
                };
                CheckoutId::new(id).expect("a short valid id")
            })
            .collect();
        let tokens = checkout_ids
            .iter()
            .map(|id| match weakness {
                Some(Weakness::PublicTokens) => guessed_token(id),
                Some(Weakness::SharedToken) => TaskToken::new("prepare-order").expect("a valid token"),
                _ => TaskToken::new(format!("secret-{id}")).expect("a valid token"),
            })
            .collect();
        let keys = checkout_ids
            .iter()
            .map(|id| [Effect::ReserveStock, Effect::RedeemPoints, Effect::Charge].map(|e| EffectKey::new(id, e)))
            .collect();
        let symmetry = Symmetry::of(&scenario, &checkout_ids);
        let scenario_attempts = scenario.max_attempts;
        SagaModel {
            scenario,
            sabotaged: None,
            weakness,
            fuse_pure_steps: true,
            symmetry,
            reloads: Mutex::default(),
            checkout_ids,
            tokens,
            keys,
            engine: Engine::new(
                Policy {
                    max_attempts: u32::from(scenario_attempts),
                    compensation_gives_up_after: (weakness == Some(Weakness::CompensationGivesUp)).then_some(1),
                    ..Policy::default()
                },
                0,
            ),
        }
    }

    /// The same model with one compensation turned into a no-op that claims success.
    pub fn with_sabotaged(scenario: Scenario, compensation: Compensation) -> SagaModel {
        SagaModel { sabotaged: Some(compensation), ..SagaModel::new(scenario) }
    }

    /// The same model with every reduction switched off: each pure step is a step of its own.
    pub fn unreduced(self) -> SagaModel {
        SagaModel { fuse_pure_steps: false, symmetry: None, ..self }
    }

    fn weak(&self, weakness: Weakness) -> bool {
        self.weakness == Some(weakness)
    }

    /// An operator's operation, through the shipped rule every adapter runs; the scenario's
    /// operations are always accepted.
    fn operate(&self, state: &mut SagaState, operation: &Operation) {
        let (mut inventory, mut wallets, mut points) =
            (state.inventory.make_mut(), state.wallets.make_mut(), state.points.make_mut());
        apply_operation(operation, &mut inventory, &mut wallets, &mut points)
            .expect("scenario operations are accepted");
    }

    /// Whether incarnations claim checkouts and the stores check fences. Only a zombie can act
    /// under an older fence than the live incarnation's; in a scenario without one, fences are
    /// never compared with a lower one and change no outcome, and claiming on every restart
    /// would only number otherwise equal states apart. So they are kept where zombies are.
    fn fenced(&self) -> bool {
        self.scenario.zombies > 0 && !self.weak(Weakness::NoFencing)
    }

    /// A new checkout for submission `k`, its pure steps taken.
    fn open_run(&self, k: usize, order: &Order) -> Shared<Run> {
        let token = self.tokens[k].clone();
        let mut progress = Progress::default();
        let checkout =
            self.settle(CheckoutState::start(self.checkout_ids[k].clone(), order.clone()), &mut progress, &token);
        Shared::new(Run {
            slot: Slot::new(checkout, runner_lease(0)),
            submission: u8::try_from(k).expect("a handful of submissions"),
            token,
            progress: Progress::default(),
            zombie: None,
            amount_due: None,
            was_billed: false,
            redeemed_points: false,
            compensation_refused: false,
            in_flight: None,
            courier_told: false,
            holder_dead: false,
        })
    }

    fn sabotage(&self, command: &Command) -> Option<Event> {
        let sabotaged = matches!(
            (self.sabotaged?, command),
            (Compensation::ReleaseStock, Command::ReleaseStock { .. })
                | (Compensation::RestorePoints, Command::RestorePoints { .. })
                | (Compensation::Refund, Command::Refund { .. })
        );
        sabotaged.then(|| nothing_back(command))
    }

    fn command_of(run: &Run) -> Option<Command> {
        match run.checkout().next() {
            Next::Run(command) => Some(command),
            _ => None,
        }
    }

    /// Performs a command sent under `fence` against the world and returns the reply the
    /// checkout would get, or `None` if the stores refuse it because a newer incarnation of the
    /// checkout has acted since.
    fn effect(&self, state: &mut SagaState, run: usize, command: &Command, fence: Fence) -> Option<Event> {
        if let Some(event) = self.sabotage(command) {
            return Some(event);
        }
        if let Command::Charge { amount, .. } = command {
            if state.runs[run].amount_due.is_none() {
                state.runs[run].make_mut().amount_due = Some(amount.minor_units());
            }
        }
        if let (Some(key), true) = (command.key(), self.fenced()) {
            if state.fences.check(key.checkout(), fence).ok()? {
                state.fences.make_mut().admit(key.checkout(), fence).expect("checked just now");
            }
        }
        if let Command::ReserveStock { book, quantity, .. } = command {
            let available = state.inventory.stock.balance(book).unwrap_or(0);
            let event = state.inventory.make_mut().perform(command).expect("the inventory reserves stock");
            if matches!(event, Event::StockUnavailable(Unavailable::OutOfStock { .. }))
                && available >= u64::from(quantity.get())
            {
                state.refused_with_stock_available = true;
            }
            return Some(event);
        }
        // Only the store the command goes to is copied for the new state; the others stay shared.
        let event = match Store::for_command(command) {
            None => {
                if !state.runs[run].courier_told {
                    state.runs[run].make_mut().courier_told = true;
                }
                Some(Event::CourierNotified)
            }
            Some(Store::Inventory) => state.inventory.make_mut().perform(command),
            Some(Store::Points) => perform_points(&mut state.points.make_mut(), command),
            Some(Store::Wallets) => perform_payment(&mut state.wallets.make_mut(), command, CHARGE_TIME_MS),
        }
        .expect("each store answers its own commands");
        // A run is copied and fingerprinted anew only when a ghost flag changes.
        match (&event, command) {
            (Event::Charged { .. }, Command::Charge { .. }) if !state.runs[run].was_billed => {
                state.runs[run].make_mut().was_billed = true
            }
            (Event::PointsRedeemed(r), _) if r.points.get() > 0 && !state.runs[run].redeemed_points => {
                state.runs[run].make_mut().redeemed_points = true
            }
            _ => {}
        }
        Some(event)
    }

    /// Performs a command of the live incarnation, whose fence is the latest.
    fn live_effect(&self, state: &mut SagaState, run: usize, command: &Command) -> Event {
        let fence = state.runs[run].slot.fence();
        self.effect(state, run, command, fence).expect("the live incarnation holds the latest fence")
    }

    /// Feeds a reply to the checkout that asked for it, and says whether it was taken. A refusal
    /// leaves the checkout where it was.
    fn feed(&self, state: &mut SagaState, run: usize, event: Event) -> bool {
        let mut progress = state.runs[run].progress.clone();
        match self.engine.apply(state.runs[run].checkout().clone(), &mut progress, event) {
            Ok(next) => {
                self.save(state, run, next, progress);
                true
            }
            Err(_) => false,
        }
    }

    /// Saves a step of the live incarnation, with its pure steps taken if they are fused.
    fn save(&self, state: &mut SagaState, run: usize, checkout: CheckoutState, mut progress: Progress) {
        let mut r = state.runs[run].make_mut();
        let checkout = self.settle(checkout, &mut progress, &r.token);
        r.save(checkout);
        r.progress = progress;
    }

    /// Feeds the reply to a command the checkout issued itself: a refusal leaves it stuck, and
    /// is recorded for the "every reply is accepted" property.
    fn apply(&self, state: &mut SagaState, run: usize, event: Event) {
        if !self.feed(state, run, event) {
            state.reply_refused = true;
        }
    }

    /// With fused pure steps, takes every pure step that is due now.
    fn settle(&self, mut checkout: CheckoutState, progress: &mut Progress, token: &TaskToken) -> CheckoutState {
        while self.fuse_pure_steps && matches!(checkout.next(), Next::Compute | Next::OpenCourierWait) {
            checkout = self.pure_step(checkout, progress, token);
        }
        checkout
    }

    /// Takes the step that needs nothing from outside: a computation, or opening the courier
    /// wait with the token the runtime issues (which touches nothing but this checkout).
    fn pure_step(&self, checkout: CheckoutState, progress: &mut Progress, token: &TaskToken) -> CheckoutState {
        let next = match checkout.next() {
            Next::OpenCourierWait => {
                self.engine.apply(checkout, progress, Event::CourierWaitOpened { token: token.clone() })
            }
            _ => self.engine.compute(checkout, progress),
        };
        next.expect("a checkout whose next step is pure can take it")
    }

    /// The orchestrator of `run` crashes and restarts: what it held only in memory is gone, and
    /// the checkout is loaded back from its saved JSON record.
    fn restart(&self, state: &mut SagaState, run: usize) {
        state.crashes_left -= 1;
        let reloads = self.reloads_as_saved(state.runs[run].checkout());
        let mut r = state.runs[run].make_mut();
        if self.scenario.zombies > 0 {
            r.slot.claim(runner_lease(0)).expect("a handful of claims");
        }
        r.progress = Progress::default();
        drop(r);
        if !reloads {
            state.reload_failed = true;
        }
    }

    /// A sweeping runner takes `run` over from its dead holder, by the shipped lease rule
    /// (`Slot::take_over`): at the first moment the holder's lease has lapsed, loading the
    /// checkout from its saved record. `None` if the lease never lapses.
    fn take_over(&self, state: &mut SagaState, run: usize) -> Option<()> {
        let reloads = self.reloads_as_saved(state.runs[run].checkout());
        let mut r = state.runs[run].make_mut();
        let lapsed_at = r.slot.lease().until_ms().checked_add(1)?;
        r.slot.take_over(lapsed_at, runner_lease(lapsed_at)).expect("a handful of claims")?;
        r.holder_dead = false;
        r.progress = Progress::default();
        drop(r);
        if !reloads {
            state.reload_failed = true;
        }
        Some(())
    }

    /// Whether `checkout`, saved as its JSON record and loaded back, is exactly itself. The
    /// answer depends on the checkout alone, and the same few hundred checkouts crash again and
    /// again across the state space, so each is round-tripped once.
    fn reloads_as_saved(&self, checkout: &CheckoutState) -> bool {
        let mut known = self.reloads.lock().expect("no panic while the lock is held");
        *known.entry(checkout.clone()).or_insert_with(|| {
            CheckoutState::from_json(&checkout.to_json()).is_ok_and(|reloaded| reloaded == *checkout)
        })
    }

    /// Performs the checkout's command with `fault`, and lets the engine decide what follows.
    fn call(&self, state: &mut SagaState, run: usize, fault: Option<CallFault>) {
        let Action::Call(command) = self.engine.next(state.runs[run].checkout(), &state.runs[run].progress) else {
            return;
        };
        let result = match fault {
            None => Ok(self.live_effect(state, run, &command)),
            Some(CallFault::FailsBeforeEffect) => {
                state.faults_left -= 1;
                Err(CallError::NotDone("failed before taking effect".into()))
            }
            Some(CallFault::ReplyLost) => {
                state.faults_left -= 1;
                self.live_effect(state, run, &command);
                Err(CallError::Unknown("reply lost".into()))
            }
            Some(CallFault::FailsForGood) => {
                state.faults_left -= 1;
                Err(CallError::Refused("failed for good".into()))
            }
            Some(CallFault::RefusedForGood) => {
                state.refusals_left -= 1;
                state.runs[run].make_mut().compensation_refused = true;
                match self.weakness {
                    Some(Weakness::RefusalTakenAsDone) => Ok(nothing_back(&command)),
                    _ => Err(CallError::Refused("refused for good".into())),
                }
            }
            Some(CallFault::CrashAfterEffect) => {
                self.live_effect(state, run, &command);
                self.restart(state, run);
                return;
            }
            Some(CallFault::Overtaken) => {
                state.overtakes_left -= 1;
                let fence = state.runs[run].slot.fence();
                state.runs[run].make_mut().in_flight = Some(InFlight { command: command.clone(), fence });
                Err(CallError::Unknown("no reply in time".into()))
            }
        };
        let refused = matches!(result, Err(CallError::Refused(_)));
        let mut progress = state.runs[run].progress.clone();
        match self.engine.after_call(state.runs[run].checkout().clone(), &mut progress, &command, result) {
            Ok(AfterCall::Moved(_)) if self.notice_given_up(&command, refused, &progress) => {
                self.save(state, run, given_up_notice(state.runs[run].checkout()), Progress::default())
            }
            Ok(AfterCall::Retry { .. }) if self.notice_given_up(&command, refused, &progress) => {
                self.save(state, run, given_up_notice(state.runs[run].checkout()), Progress::default())
            }
            Ok(AfterCall::Moved(next)) => self.save(state, run, next, progress),
            Ok(AfterCall::Retry { .. }) => state.runs[run].make_mut().progress = progress,
            Err(_) => state.reply_refused = true,
        }
    }

    /// With [`Weakness::NoticeGivesUp`]: whether the engine before the point of no return would
    /// have given the notice up here, at a refusal or once it ran out of forward attempts.
    fn notice_given_up(&self, command: &Command, refused: bool, progress: &Progress) -> bool {
        self.weak(Weakness::NoticeGivesUp)
            && matches!(command, Command::NotifyCourier { .. })
            && (refused || progress.attempts >= self.engine.policy().max_attempts)
    }

    /// The call overtaken by its checkout's next step lands, under the fence it was sent with;
    /// its reply finds nobody waiting for it.
    fn land(&self, state: &mut SagaState, run: usize) {
        let Some(InFlight { command, fence }) = state.runs[run].make_mut().in_flight.take() else { return };
        self.effect(state, run, &command, fence);
    }
}

/// The reply of a compensation that gave nothing back, claiming success.
fn nothing_back(compensation: &Command) -> Event {
    match compensation {
        Command::ReleaseStock { .. } => Event::StockReleased(StockReleased { quantity: 0 }),
        Command::RestorePoints { .. } => Event::PointsRestored(PointsRestored { points: Points::ZERO }),
        _ => Event::Refunded(RefundReceipt { amount: Money::ZERO }),
    }
}

impl SagaModel {
    /// The zombie of `run` takes one step from what it loaded, as a live orchestrator would, and
    /// tries to save it. With fencing, the stores refuse it once the new incarnation has acted,
    /// and its save is refused always (the new incarnation claimed the checkout); it stops
    /// there. Without fencing, its save overwrites the record. Either way it then stops.
    fn zombie_acts(&self, state: &mut SagaState, run: usize) {
        let Some(zombie) = state.runs[run].make_mut().zombie.take() else { return };
        let token = state.runs[run].token.clone();
        // What the zombie holds in memory; it never matters again, since it stops after this.
        let mut progress = Progress::default();
        let next = match self.engine.next(&zombie.checkout, &progress) {
            Action::Finished(_) => None,
            Action::Compute | Action::OpenCourierWait => {
                Some(self.pure_step(zombie.checkout.clone(), &mut progress, &token))
            }
            // Its clock may be ahead: it gives up on the courier.
            Action::RequestCourier(_) | Action::AwaitCourier { .. } => {
                let deadline_ms = zombie.checkout.courier_wait().map_or(0, |wait| wait.deadline_ms);
                let passed = Event::DeadlinePassed { now_ms: deadline_ms };
                self.engine.apply(zombie.checkout.clone(), &mut progress, passed).ok()
            }
            Action::Call(command) => self
                .effect(state, run, &command, zombie.fence)
                .and_then(|event| self.engine.apply(zombie.checkout.clone(), &mut progress, event).ok()),
        };
        let Some(next) = next else { return };
        let next = self.settle(next, &mut progress, &token);
        let mut r = state.runs[run].make_mut();
        let held = if self.weak(Weakness::NoFencing) { r.slot.fence() } else { zombie.fence };
        let ended = r.checkout().is_finished().then(|| r.checkout().clone());
        if r.slot.save(held, next).is_ok() {
            // The live incarnation goes on from a record it did not write.
            r.progress = Progress::default();
            if ended.is_some_and(|ended| ended != *r.checkout()) {
                drop(r);
                state.ended_checkout_changed = true;
            }
        }
    }

    /// Feeds a courier reply that is not the worker's answer to `run`'s own wait, and records
    /// it if the checkout took it.
    fn feed_foreign(&self, state: &mut SagaState, run: usize, event: Event) {
        state.foreign_left -= 1;
        if self.feed(state, run, event) {
            state.foreign_reply_accepted = true;
        }
    }

    /// The client submits submission `k` again: the registry opens a checkout for a new order,
    /// hands back the existing one for the same order, and refuses another order under a known
    /// id. Without the registry, every submission opens a checkout.
    fn submit(&self, state: &mut SagaState, k: usize) {
        state.pending_submissions &= !(1 << (k - self.scenario.orders.len()));
        let order = self.scenario.submissions().nth(k).expect("a scenario submission");
        let opens = self.weak(Weakness::NoRegistry)
            || matches!(state.registry.make_mut().admit(order, self.checkout_ids[k].clone()), Ok(Admission::Opened(_)));
        if opens {
            state.runs.push(self.open_run(k, order));
        }
    }

    fn is_waiting(run: &Run) -> bool {
        run.checkout().courier_wait().is_some_and(|wait| wait.token.is_some())
    }
}

impl Model for SagaModel {
    type State = SagaState;
    type Action = SagaAction;

    fn init_states(&self) -> Vec<SagaState> {
        let s = &self.scenario;
        let mut inventory = Inventory::default();
        inventory.add_book(s.book.clone(), s.copies, s.unit_price).expect("scenario amounts are small");
        let (mut points, mut wallets) = (Ledger::default(), Ledger::default());
        points.open(s.user.clone(), s.points).expect("scenario amounts are small");
        wallets.open(s.user.clone(), s.funds).expect("scenario amounts are small");
        let mut registry = OrderRegistry::default();
        let runs = s
            .orders
            .iter()
            .enumerate()
            .map(|(k, order)| {
                registry.admit(order, self.checkout_ids[k].clone()).expect("a scenario's first orders differ");
                self.open_run(k, order)
            })
            .collect();
        vec![SagaState {
            runs,
            inventory: Shared::new(inventory),
            points: Shared::new(points),
            wallets: Shared::new(wallets),
            fences: Shared::new(FenceBook::default()),
            registry: Shared::new(registry),
            pending_submissions: (1u8 << s.resubmissions.len()) - 1,
            courier_queue: Vec::new(),
            courier_replies: Vec::new(),
            faults_left: s.faults,
            crashes_left: s.crashes,
            credits_left: s.points_credits,
            restocks_left: s.restocks,
            refusals_left: s.refusals,
            foreign_left: s.foreign_replies,
            zombies_left: s.zombies,
            overtakes_left: s.overtakes,
            deaths_left: s.deaths,
            refused_with_stock_available: false,
            foreign_reply_accepted: false,
            ended_checkout_changed: false,
            reply_refused: false,
            reload_failed: false,
        }]
    }

    fn actions(&self, state: &SagaState, actions: &mut Vec<SagaAction>) {
        let faulty = state.faults_left > 0;
        let crashy = state.crashes_left > 0;
        for (run, r) in state.runs.iter().enumerate() {
            if r.zombie.is_some() {
                actions.push(SagaAction::ZombieActs { run });
            }
            if r.holder_dead {
                if r.in_flight.is_some() {
                    actions.push(SagaAction::Land { run });
                }
                if !self.weak(Weakness::NoTakeover) {
                    actions.push(SagaAction::TakeOver { run });
                }
                continue;
            }
            match self.engine.next(r.checkout(), &r.progress) {
                Action::Finished(_) => continue,
                Action::Compute | Action::OpenCourierWait => actions.push(SagaAction::Compute { run }),
                wait @ (Action::RequestCourier(_) | Action::AwaitCourier { .. }) => {
                    if matches!(wait, Action::RequestCourier(_)) {
                        actions.push(SagaAction::RequestCourier { run });
                    }
                    actions.push(SagaAction::DeadlinePasses { run });
                    if state.foreign_left > 0 {
                        actions.push(SagaAction::ForgeReply { run });
                    }
                }
                Action::Call(command) => {
                    actions.push(SagaAction::Call { run, fault: None });
                    if faulty {
                        actions.push(SagaAction::Call { run, fault: Some(CallFault::FailsBeforeEffect) });
                        actions.push(SagaAction::Call { run, fault: Some(CallFault::ReplyLost) });
                        if !command.is_compensation() {
                            actions.push(SagaAction::Call { run, fault: Some(CallFault::FailsForGood) });
                        }
                    }
                    if state.refusals_left > 0 && command.is_compensation() {
                        actions.push(SagaAction::Call { run, fault: Some(CallFault::RefusedForGood) });
                    }
                    if crashy {
                        actions.push(SagaAction::Call { run, fault: Some(CallFault::CrashAfterEffect) });
                    }
                    if state.overtakes_left > 0 && r.in_flight.is_none() {
                        actions.push(SagaAction::Call { run, fault: Some(CallFault::Overtaken) });
                    }
                }
            }
            if r.in_flight.is_some() {
                actions.push(SagaAction::Land { run });
            }
            if crashy {
                actions.push(SagaAction::Crash { run });
            }
            if state.deaths_left > 0 {
                actions.push(SagaAction::Die { run });
            }
            if state.zombies_left > 0 && r.zombie.is_none() {
                actions.push(SagaAction::Supersede { run });
            }
        }
        for request in 0..state.courier_queue.len() {
            actions.push(SagaAction::Work { request, assigns: true });
            if faulty {
                actions.push(SagaAction::Work { request, assigns: false });
                actions.push(SagaAction::LoseRequest { request });
                actions.push(SagaAction::DuplicateRequest { request });
            }
        }
        for (reply, message) in state.courier_replies.iter().enumerate() {
            actions.push(SagaAction::Deliver { reply });
            if faulty {
                actions.push(SagaAction::LoseReply { reply });
                actions.push(SagaAction::DuplicateReply { reply });
            }
            if state.foreign_left > 0 {
                for (to, r) in state.runs.iter().enumerate() {
                    if to != message.run && Self::is_waiting(r) {
                        actions.push(SagaAction::Misdeliver { reply, to });
                    }
                }
            }
        }
        if state.credits_left > 0 {
            actions.push(SagaAction::CreditPoints);
        }
        if state.restocks_left > 0 {
            actions.push(SagaAction::Restock);
        }
        for k in 0..self.scenario.resubmissions.len() {
            if state.pending_submissions & (1 << k) != 0 {
                actions.push(SagaAction::Submit { submission: self.scenario.orders.len() + k });
            }
        }
    }

    fn next_state(&self, last: &SagaState, action: SagaAction) -> Option<SagaState> {
        let mut state = last.clone();
        match action {
            SagaAction::Call { run, fault } => self.call(&mut state, run, fault),
            SagaAction::Compute { run } => {
                let mut r = state.runs[run].make_mut();
                let mut progress = r.progress.clone();
                let next = self.pure_step(r.checkout().clone(), &mut progress, &r.token);
                r.save(next);
                r.progress = progress;
            }
            SagaAction::RequestCourier { run } => {
                let token = state.runs[run].checkout().courier_wait()?.token?;
                insert_sorted(&mut state.courier_queue, CourierRequest { run, token });
                self.engine.courier_requested(&mut state.runs[run].make_mut().progress);
            }
            SagaAction::Crash { run } => self.restart(&mut state, run),
            SagaAction::Die { run } => {
                state.deaths_left -= 1;
                let mut r = state.runs[run].make_mut();
                r.holder_dead = true;
                r.progress = Progress::default();
            }
            SagaAction::TakeOver { run } => self.take_over(&mut state, run)?,
            SagaAction::Work { request, assigns } => {
                let CourierRequest { run, token } = state.courier_queue.remove(request);
                if !assigns {
                    state.faults_left -= 1;
                }
                insert_sorted(&mut state.courier_replies, CourierReply { run, token, assigned: assigns });
            }
            SagaAction::LoseRequest { request } => {
                state.faults_left -= 1;
                state.courier_queue.remove(request);
            }
            SagaAction::DuplicateRequest { request } => {
                state.faults_left -= 1;
                duplicate(&mut state.courier_queue, request);
            }
            SagaAction::Deliver { reply } => {
                let CourierReply { run, token, assigned } = state.courier_replies.remove(reply);
                // A reply for a checkout that no longer waits (late, duplicated) is discarded.
                self.feed(&mut state, run, worker_reply(token, assigned));
            }
            SagaAction::LoseReply { reply } => {
                state.faults_left -= 1;
                state.courier_replies.remove(reply);
            }
            SagaAction::DuplicateReply { reply } => {
                state.faults_left -= 1;
                duplicate(&mut state.courier_replies, reply);
            }
            SagaAction::DeadlinePasses { run } => {
                let deadline_ms = state.runs[run].checkout().courier_wait()?.deadline_ms;
                self.apply(&mut state, run, Event::DeadlinePassed { now_ms: deadline_ms });
            }
            SagaAction::CreditPoints => {
                state.credits_left -= 1;
                let credit = Operation::Credit { user: self.scenario.user.clone(), funds: 0, points: POINTS_CREDIT };
                self.operate(&mut state, &credit);
            }
            SagaAction::Restock => {
                state.restocks_left -= 1;
                let s = &self.scenario;
                if self.weak(Weakness::RestockSets) {
                    // What `init` did to a live shop: the shelf set to the catalog's count.
                    let catalog = s.copies + u32::try_from(RESTOCK_COPIES).expect("small");
                    state.inventory.make_mut().add_book(s.book.clone(), catalog, s.unit_price).expect("small");
                } else {
                    let restock = Operation::Restock { book: s.book.clone(), copies: RESTOCK_COPIES, price: None };
                    self.operate(&mut state, &restock);
                }
            }
            SagaAction::ForgeReply { run } => {
                let token = guessed_token(state.runs[run].checkout().id());
                self.feed_foreign(&mut state, run, Event::CourierAssigned { token, courier: impostor() });
            }
            SagaAction::Misdeliver { reply, to } => {
                let CourierReply { token, assigned, .. } = state.courier_replies.remove(reply);
                self.feed_foreign(&mut state, to, worker_reply(token, assigned));
            }
            SagaAction::Supersede { run } => {
                state.zombies_left -= 1;
                let mut r = state.runs[run].make_mut();
                r.zombie = Some(Zombie { checkout: r.checkout().clone(), fence: r.slot.fence() });
                r.slot.claim(runner_lease(0)).expect("a handful of claims");
                r.progress = Progress::default();
            }
            SagaAction::ZombieActs { run } => self.zombie_acts(&mut state, run),
            SagaAction::Land { run } => self.land(&mut state, run),
            SagaAction::Submit { submission } => self.submit(&mut state, submission),
        }
        Some(state)
    }
}

/// The worker's answer to a courier request, as the orchestrator receives it.
fn worker_reply(token: TaskToken, assigned: bool) -> Event {
    if assigned {
        Event::CourierAssigned { token, courier: courier() }
    } else {
        Event::CourierUnavailable { token, detail: "no courier available".into() }
    }
}

impl Audited for SagaModel {
    fn symmetric_fingerprint(&self, state: &SagaState) -> Option<u64> {
        let symmetry = self.symmetry.as_ref()?;
        let mut runs = symmetry.describe(state.runs.iter().map(|run| run.fingerprint()));
        // Every entry's account is the scenario's one book or one customer: it is not told.
        for (key, entry) in state.inventory.stock.entries() {
            runs.add_for_checkout(key.checkout(), (0u8, key.effect(), entry.amount, entry.state));
        }
        for (key, entry) in state.points.entries() {
            runs.add_for_checkout(key.checkout(), (1u8, key.effect(), entry.amount, entry.state));
        }
        for (key, entry) in state.wallets.entries() {
            runs.add_for_checkout(key.checkout(), (2u8, key.effect(), entry.amount, entry.state));
        }
        for run in 0..state.runs.len() {
            let id = state.runs[run].checkout().id();
            runs.add(run, (3u8, state.fences.mark(id)));
        }
        let own = |run: usize, token: &TaskToken| state.runs[run].token == *token;
        for request in &state.courier_queue {
            let foreign = (!own(request.run, &request.token)).then_some(&request.token);
            runs.add(request.run, (0u8, foreign));
        }
        for reply in &state.courier_replies {
            let foreign = (!own(reply.run, &reply.token)).then_some(&reply.token);
            runs.add(reply.run, (1u8, foreign, reply.assigned));
        }
        let s = &self.scenario;
        Some(runs.finish((
            state.inventory.stock.balance(&s.book),
            state.points.balance(&s.user),
            state.wallets.balance(&s.user),
            (state.faults_left, state.crashes_left, state.credits_left, state.restocks_left),
            (
                state.refusals_left,
                state.foreign_left,
                state.zombies_left,
                state.pending_submissions,
                state.overtakes_left,
                state.deaths_left,
            ),
            (state.refused_with_stock_available, state.reply_refused, state.reload_failed),
            (state.foreign_reply_accepted, state.ended_checkout_changed, &state.registry),
        )))
    }

    fn audit(&self, state: &SagaState) -> Audit {
        let s = &self.scenario;
        let orders: Vec<OrderAudit> = state
            .runs
            .iter()
            .map(|r| {
                let [stock_key, points_key, charge_key] = &self.keys[usize::from(r.submission)];
                let checkout = r.checkout();
                let order = checkout.order();
                OrderAudit {
                    order: order.id().clone(),
                    status: match checkout.phase() {
                        Phase::Dispatched => Status::Dispatched,
                        Phase::Rejected => Status::Rejected,
                        Phase::Compensated => Status::Compensated,
                        Phase::NeedsOperator => Status::NeedsOperator,
                        Phase::NoticeUnconfirmed => Status::CourierMayKnow,
                        _ => Status::InProgress,
                    },
                    quantity: i64::from(order.quantity().get()),
                    held: Holdings {
                        stock_taken: as_i64(state.inventory.stock.held_by(stock_key)),
                        points_taken: as_i64(state.points.held_by(points_key)),
                        charged: as_i64(state.wallets.held_by(charge_key)),
                        amount_due: r.amount_due.map(as_i64),
                        was_billed: r.was_billed,
                        redeemed_points: r.redeemed_points,
                    },
                    unreturned: unreturned(checkout),
                    compensation_refused: r.compensation_refused,
                    courier_told: r.courier_told,
                }
            })
            .collect();
        let checkouts_share_an_order = state.runs.iter().enumerate().any(|(i, a)| {
            state.runs[i + 1..].iter().any(|b| {
                a.checkout().id() == b.checkout().id() || a.checkout().order().id() == b.checkout().order().id()
            })
        });
        Audit {
            stock_supplied: as_i64(u64::from(s.copies) + u64::from(s.restocks - state.restocks_left) * RESTOCK_COPIES),
            stock: as_i64(state.inventory.stock.balance(&s.book).unwrap_or(0)),
            points_supplied: as_i64(s.points + u64::from(s.points_credits - state.credits_left) * POINTS_CREDIT),
            points: as_i64(state.points.balance(&s.user).unwrap_or(0)),
            funds_supplied: as_i64(s.funds),
            funds: as_i64(state.wallets.balance(&s.user).unwrap_or(0)),
            orders,
            checkouts_share_an_order,
            foreign_reply_accepted: state.foreign_reply_accepted,
            ended_checkout_changed: state.ended_checkout_changed,
            refused_with_stock_available: state.refused_with_stock_available,
            reply_refused: state.reply_refused,
            reload_failed: state.reload_failed,
            flaw_paths: 0,
        }
    }
}

/// What a checkout's record names as refused for good.
fn unreturned(checkout: &CheckoutState) -> Unreturned {
    Unreturned(checkout.unreturned().iter().fold(0, |bits, u| {
        bits | match u.compensation {
            Compensation::ReleaseStock => Unreturned::STOCK,
            Compensation::RestorePoints => Unreturned::POINTS,
            Compensation::Refund => Unreturned::MONEY,
        }
    }))
}

/// A run by its order's id, and by its checkout's id when that does not follow from the order's.
fn run_name(state: &SagaState, run: usize) -> String {
    let checkout = state.runs[run].checkout();
    let (order, id) = (checkout.order().id(), checkout.id());
    if id.as_str() == format!("ck-{order}") {
        order.to_string()
    } else {
        format!("{order} (checkout {id})")
    }
}

impl Narrated for SagaModel {
    fn narrate(&self, before: &SagaState, action: &SagaAction, after: &SagaState) -> Step {
        let name = |run: usize| run_name(after, run);
        let phase = |state: &SagaState, run: usize| state.runs[run].checkout().phase();
        let step = |from, to, text: String| Step { from, to, text };
        match action {
            SagaAction::Call { run, fault } => {
                let command = Self::command_of(&before.runs[*run]).expect("a call runs a command");
                let outcome = match fault {
                    None => "succeeds",
                    Some(CallFault::FailsBeforeEffect) => "fails before taking effect",
                    Some(CallFault::ReplyLost) => "takes effect but its reply is lost",
                    Some(CallFault::FailsForGood) => "fails for good",
                    Some(CallFault::CrashAfterEffect) => {
                        "takes effect, then the orchestrator crashes before saving and restarts"
                    }
                    Some(CallFault::RefusedForGood) => "is refused for good",
                    Some(CallFault::Overtaken) => "is sent but overtaken: no reply in time, it lands later",
                };
                let to = if matches!(command, Command::NotifyCourier { .. }) { Actor::Outside } else { Actor::Stores };
                let text = format!("{}: {} {outcome}, checkout is {}", name(*run), command.name(), phase(after, *run));
                step(Actor::Orchestrator, to, text)
            }
            SagaAction::Compute { run } => step(
                Actor::Orchestrator,
                Actor::Orchestrator,
                format!("{}: pure step from {} to {}", name(*run), phase(before, *run), phase(after, *run)),
            ),
            SagaAction::RequestCourier { run } => {
                step(Actor::Orchestrator, Actor::Queue, format!("{}: sends the courier request", name(*run)))
            }
            SagaAction::Crash { run } => step(
                Actor::Orchestrator,
                Actor::Orchestrator,
                format!("{}: the orchestrator crashes and restarts from the saved checkout", name(*run)),
            ),
            SagaAction::Die { run } => step(
                Actor::Orchestrator,
                Actor::Orchestrator,
                format!("{}: its runner dies for good, checkout is {}", name(*run), phase(after, *run)),
            ),
            SagaAction::TakeOver { run } => step(
                Actor::Orchestrator,
                Actor::Orchestrator,
                format!(
                    "{}: another runner takes the checkout over (fence {}), the dead one's lease having lapsed",
                    name(*run),
                    after.runs[*run].slot.fence().get()
                ),
            ),
            SagaAction::Work { request, assigns } => {
                let run = before.courier_queue[*request].run;
                let what = if *assigns { "assigns a courier" } else { "cannot assign a courier" };
                step(Actor::Queue, Actor::Worker, format!("worker takes the request of {} and {what}", name(run)))
            }
            SagaAction::LoseRequest { request } => {
                let run = before.courier_queue[*request].run;
                step(Actor::Queue, Actor::Queue, format!("the queue loses the courier request of {}", name(run)))
            }
            SagaAction::DuplicateRequest { request } => {
                let run = before.courier_queue[*request].run;
                step(Actor::Queue, Actor::Queue, format!("the queue duplicates the courier request of {}", name(run)))
            }
            SagaAction::Deliver { reply } => {
                let r = &before.courier_replies[*reply];
                let (from, to) = (phase(before, r.run), phase(after, r.run));
                let text = if from == to && before.runs[r.run] == after.runs[r.run] {
                    format!("a worker reply for {} arrives and is ignored, checkout is {to}", name(r.run))
                } else {
                    format!("the worker reply for {} arrives, checkout is {to}", name(r.run))
                };
                step(Actor::Worker, Actor::Orchestrator, text)
            }
            SagaAction::LoseReply { reply } => {
                let run = before.courier_replies[*reply].run;
                step(Actor::Worker, Actor::Worker, format!("the worker reply for {} is lost", name(run)))
            }
            SagaAction::DuplicateReply { reply } => {
                let run = before.courier_replies[*reply].run;
                step(Actor::Worker, Actor::Worker, format!("the worker reply for {} is duplicated", name(run)))
            }
            SagaAction::DeadlinePasses { run } => step(
                Actor::Orchestrator,
                Actor::Orchestrator,
                format!("{}: the courier deadline passes, checkout is {}", name(*run), phase(after, *run)),
            ),
            SagaAction::CreditPoints => step(
                Actor::Outside,
                Actor::Stores,
                format!("{POINTS_CREDIT} points are credited to the customer from outside"),
            ),
            SagaAction::Restock => step(
                Actor::Outside,
                Actor::Stores,
                format!(
                    "an operator restocks {RESTOCK_COPIES} copy: {} on the shelf",
                    after.inventory.stock.balance(&self.scenario.book).unwrap_or(0)
                ),
            ),
            SagaAction::ForgeReply { run } => {
                let taken = if before.runs[*run] == after.runs[*run] { "refused" } else { "ACCEPTED" };
                let text = format!(
                    "someone who knows checkout {} forges a courier reply for it: {taken}, checkout is {}",
                    after.runs[*run].checkout().id(),
                    phase(after, *run)
                );
                step(Actor::Outside, Actor::Orchestrator, text)
            }
            SagaAction::Misdeliver { reply, to } => {
                let from = before.courier_replies[*reply].run;
                let taken = if before.runs[*to] == after.runs[*to] { "refused" } else { "ACCEPTED" };
                let text = format!(
                    "the worker reply for {} is handed to {}: {taken}, checkout is {}",
                    name(from),
                    name(*to),
                    phase(after, *to)
                );
                step(Actor::Worker, Actor::Orchestrator, text)
            }
            SagaAction::Supersede { run } => step(
                Actor::Orchestrator,
                Actor::Orchestrator,
                format!(
                    "{}: a new orchestrator claims the checkout (fence {}) while the old one still runs",
                    name(*run),
                    after.runs[*run].slot.fence().get()
                ),
            ),
            SagaAction::ZombieActs { run } => {
                let zombie = before.runs[*run].zombie.as_ref().expect("a zombie acts");
                let saved = if before.runs[*run].checkout() == after.runs[*run].checkout() {
                    "its save is refused"
                } else {
                    "its save OVERWRITES the record"
                };
                let text = format!(
                    "{}: the old orchestrator (fence {}) acts on the {} checkout it loaded; {saved}, checkout is {}",
                    name(*run),
                    zombie.fence.get(),
                    zombie.checkout.phase(),
                    phase(after, *run)
                );
                step(Actor::Orchestrator, Actor::Stores, text)
            }
            SagaAction::Land { run } => {
                let command = &before.runs[*run].in_flight.as_ref().expect("a call in flight lands").command;
                let to = if matches!(command, Command::NotifyCourier { .. }) { Actor::Outside } else { Actor::Stores };
                let text = format!(
                    "{}: the overtaken {} lands, checkout is {}",
                    name(*run),
                    command.name(),
                    phase(after, *run)
                );
                step(Actor::Orchestrator, to, text)
            }
            SagaAction::Submit { submission } => {
                let order = self.scenario.submissions().nth(*submission).expect("a scenario submission");
                let outcome = if after.runs.len() > before.runs.len() {
                    format!("a checkout is opened: {}", after.runs[after.runs.len() - 1].checkout().id())
                } else if before
                    .registry
                    .checkout_of(order.id())
                    .is_some_and(|_| before.runs.iter().any(|r| r.checkout().order() == order))
                {
                    "the registry returns the checkout it already has".to_string()
                } else {
                    "the registry refuses it: that id was used for another order".to_string()
                };
                let text = format!(
                    "the client submits {} for {} again: {outcome}",
                    order.id(),
                    crate::audit::copies(i64::from(order.quantity().get()))
                );
                step(Actor::Outside, Actor::Orchestrator, text)
            }
        }
    }
}
