//! The model of our checkout saga. Each checkout is a [`CheckoutState`] from the domain crate and
//! moves only through its `next`/`compute`/`apply` methods, so the checker explores the very
//! transition code that ships. The stores run the domain's store rules (`checkout_domain::stores`); the courier
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
use checkout_domain::stores::{apply_operation, perform_payment, perform_points, Inventory, Store};
use checkout_domain::{
    CheckoutId, CheckoutState, Command, CourierId, Effect, EffectKey, Event, Money, Next, Order, Phase, Points,
    TaskToken, UserId,
};
use checkout_engine::{Action, AfterCall, CallError, Engine, Policy, Progress};
use smallvec::SmallVec;
use stateright::Model;

use crate::audit::{as_i64, Audit, Audited, CancelAnswer, Holdings, OrderAudit, ResolutionAudit, Status, Unreturned};
use crate::before_no_return::given_up_notice;
use crate::multiset::{duplicate, insert_sorted};
use crate::scenario::{Scenario, POINTS_CREDIT, RESTOCK_COPIES};
use crate::shared::{Fingerprint, Shared};
use crate::symmetry::{masked_fingerprint, Symmetry};
use crate::trace::{Actor, Narrated, Step};

mod actions;
mod audited;
mod cancel;
mod checker;
mod narration;
mod resolve;
mod state;
mod weakness;

pub use actions::{CallFault, SagaAction};
pub use state::{CourierReply, CourierRequest, InFlight, Run, SagaState, Zombie};
pub use weakness::Weakness;

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
        self.zombies_possible() && !self.weak(Weakness::NoFencing)
    }

    /// Whether an incarnation can be superseded while it runs: by a new orchestrator, or by a
    /// cancel, which claims the checkout.
    fn zombies_possible(&self) -> bool {
        self.scenario.zombies > 0 || self.scenario.cancels > 0
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
            cancel: None,
            held_when_resolved: None,
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
        if self.zombies_possible() {
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
