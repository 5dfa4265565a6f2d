//! The model of our checkout saga. Each checkout is a [`CheckoutState`] from the domain crate and
//! moves only through its `next`/`compute`/`apply` methods, so the checker explores the very
//! transition code that ships. The stores are the in-memory keyed stores adapter; the courier
//! worker, the queues and the faults are the model's own.
//!
//! Faults the checker may place anywhere, within the scenario's budget: a call that fails before
//! it takes effect, a call whose reply is lost after it took effect, a step that fails for good,
//! an orchestrator crash (before or after an effect, losing its volatile progress), a lost or
//! duplicated queue message or worker reply, a courier worker that cannot assign a courier, and a
//! courier deadline that passes while the worker is still busy.

use std::collections::HashMap;
use std::sync::Mutex;

use checkout_domain::ledger::Ledger;
use checkout_domain::protocol::{PointsRestored, RefundReceipt, StockReleased, Unavailable};
use checkout_domain::states::Compensation;
use checkout_domain::{
    CheckoutState, Command, CourierId, Effect, EffectKey, Event, Money, Next, Phase, Points, TaskToken, UserId,
};
use checkout_memory::{perform_payment, perform_points, Inventory, Store};
use smallvec::SmallVec;
use stateright::Model;

use crate::audit::{Audit, Audited, Holdings, OrderAudit, Status};
use crate::multiset::{duplicate, insert_sorted};
use crate::scenario::{Scenario, POINTS_CREDIT};
use crate::shared::{Fingerprint, Shared};
use crate::symmetry::{masked_fingerprint, Symmetry};
use crate::trace::{Actor, Narrated, Step};

/// The orchestrator's view of one checkout: the persisted state plus what a crash loses.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Run {
    /// Persisted after every step; survives crashes.
    pub checkout: CheckoutState,
    /// Failed attempts of the current forward step (volatile).
    pub attempts: u8,
    /// Whether this incarnation already sent the courier request (volatile; cleared when the
    /// wait ends, after which it no longer matters).
    pub courier_requested: bool,
    /// Ghost: the amount due of the charge the order asked for.
    pub amount_due: Option<u64>,
    /// Ghost: a charge went through at least once.
    pub was_billed: bool,
    /// Ghost: points were taken at least once.
    pub redeemed_points: bool,
}

impl Fingerprint for Run {
    /// Leaves out the run's own ids (checkout and order): a run's position in the state says
    /// which it is (a checkout never changes them), and alike runs compare by this alone.
    fn fingerprint(&self) -> u64 {
        masked_fingerprint(self, self.checkout.id(), self.checkout.order().id())
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
    /// Sorted, so that the same multiset of messages is the same state.
    pub courier_queue: Vec<CourierRequest>,
    pub courier_replies: Vec<CourierReply>,
    pub faults_left: u8,
    pub crashes_left: u8,
    pub credits_left: u8,
    pub refused_with_stock_available: bool,
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
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SagaAction {
    /// Perform the checkout's current side effect, cleanly or with a fault.
    Call {
        run: usize,
        fault: Option<CallFault>,
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
    /// Points reach the customer from outside the checkout.
    CreditPoints,
}

/// The courier the worker assigns.
fn courier() -> CourierId {
    CourierId::new("courier-1").expect("valid id")
}

/// Every checkout's charge happens at this time in the model; the deadline counts from it.
const CHARGE_TIME_MS: u64 = 0;

pub struct SagaModel {
    pub scenario: Scenario,
    /// A compensation to break on purpose: it reports success without giving anything back.
    /// Used only to show that the properties notice a missing compensation.
    pub sabotaged: Option<Compensation>,
    /// Take each pure step together with the step before it. Sound because a pure step touches
    /// nothing but its own checkout and nothing else can happen to that checkout in between; a
    /// test compares every verdict with this switched off.
    pub fuse_pure_steps: bool,
    /// The scenario's interchangeable orders, when the checker is to visit one state for every
    /// renaming of them (see [`crate::symmetry`]).
    pub symmetry: Option<Symmetry>,
    /// Checkouts already saved and reloaded once, and whether each came back as itself.
    reloads: Mutex<HashMap<CheckoutState, bool>>,
    /// Each run's reserve-stock, redeem-points and charge keys, which the audit reads every state.
    keys: Vec<[EffectKey; 3]>,
}

impl SagaModel {
    pub fn new(scenario: Scenario) -> SagaModel {
        let symmetry = Symmetry::of(&scenario);
        let keys = scenario
            .checkout_ids()
            .iter()
            .map(|id| [Effect::ReserveStock, Effect::RedeemPoints, Effect::Charge].map(|e| EffectKey::new(id, e)))
            .collect();
        SagaModel { scenario, sabotaged: None, fuse_pure_steps: true, symmetry, reloads: Mutex::default(), keys }
    }

    /// The same model with one compensation turned into a no-op that claims success.
    pub fn with_sabotaged(scenario: Scenario, compensation: Compensation) -> SagaModel {
        SagaModel { sabotaged: Some(compensation), ..SagaModel::new(scenario) }
    }

    /// The same model with every reduction switched off: each pure step is a step of its own.
    pub fn unreduced(self) -> SagaModel {
        SagaModel { fuse_pure_steps: false, symmetry: None, ..self }
    }

    fn sabotage(&self, command: &Command) -> Option<Event> {
        let event = match (self.sabotaged?, command) {
            (Compensation::ReleaseStock, Command::ReleaseStock { .. }) => {
                Event::StockReleased(StockReleased { quantity: 0 })
            }
            (Compensation::RestorePoints, Command::RestorePoints { .. }) => {
                Event::PointsRestored(PointsRestored { points: Points::ZERO })
            }
            (Compensation::Refund, Command::Refund { .. }) => Event::Refunded(RefundReceipt { amount: Money::ZERO }),
            _ => return None,
        };
        Some(event)
    }

    fn command_of(run: &Run) -> Option<Command> {
        match run.checkout.next() {
            Next::Run(command) => Some(command),
            _ => None,
        }
    }

    /// Performs a command against the world and returns the reply the checkout would get.
    fn effect(&self, state: &mut SagaState, run: usize, command: &Command) -> Event {
        if let Some(event) = self.sabotage(command) {
            return event;
        }
        if let Command::ReserveStock { book, quantity, .. } = command {
            let available = state.inventory.stock.balance(book).unwrap_or(0);
            let event = state.inventory.make_mut().perform(command).expect("the inventory reserves stock");
            if matches!(event, Event::StockUnavailable(Unavailable::OutOfStock { .. }))
                && available >= u64::from(quantity.get())
            {
                state.refused_with_stock_available = true;
            }
            return event;
        }
        // Only the store the command goes to is copied for the new state; the others stay shared.
        let event = match Store::for_command(command) {
            None => Some(Event::CourierNotified),
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
        event
    }

    /// Feeds a reply to the checkout that asked for it, and says whether it was taken. A refusal
    /// leaves the checkout where it was.
    fn feed(&self, state: &mut SagaState, run: usize, event: Event) -> bool {
        match state.runs[run].checkout.clone().apply(event) {
            Ok(next) => {
                let mut r = state.runs[run].make_mut();
                r.checkout = self.settle(next);
                r.attempts = 0;
                if r.checkout.courier_wait().is_none() {
                    r.courier_requested = false;
                }
                true
            }
            Err(_) => false,
        }
    }

    /// Feeds the reply to a command the checkout issued itself: a refusal leaves it stuck, and
    /// is recorded for the "every reply is accepted" property.
    fn apply(&self, state: &mut SagaState, run: usize, event: Event) {
        if !self.feed(state, run, event) {
            state.reply_refused = true;
        }
    }

    /// With fused pure steps, takes every pure step that is due now.
    fn settle(&self, mut checkout: CheckoutState) -> CheckoutState {
        while self.fuse_pure_steps && checkout.next() == Next::Compute {
            checkout = checkout.compute().expect("a checkout whose next step is pure can take it");
        }
        checkout
    }

    /// The orchestrator of `run` crashes and restarts: what it held only in memory is gone, and
    /// the checkout is loaded back from its saved JSON record.
    fn restart(&self, state: &mut SagaState, run: usize) {
        state.crashes_left -= 1;
        let reloads = self.reloads_as_saved(&state.runs[run].checkout);
        let mut r = state.runs[run].make_mut();
        r.attempts = 0;
        r.courier_requested = false;
        drop(r);
        if !reloads {
            state.reload_failed = true;
        }
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

    fn give_up(&self, state: &mut SagaState, run: usize, detail: &str) {
        self.apply(state, run, Event::StepFailed { detail: detail.to_string() });
    }

    fn call(&self, state: &mut SagaState, run: usize, fault: Option<CallFault>) {
        let Some(command) = Self::command_of(&state.runs[run]) else { return };
        if let Command::Charge { amount, .. } = &command {
            state.runs[run].make_mut().amount_due = Some(amount.minor_units());
        }
        match fault {
            None => {
                let event = self.effect(state, run, &command);
                self.apply(state, run, event);
            }
            Some(CallFault::FailsForGood) => {
                state.faults_left -= 1;
                self.give_up(state, run, "failed for good");
            }
            Some(CallFault::CrashAfterEffect) => {
                self.effect(state, run, &command);
                self.restart(state, run);
            }
            Some(f @ (CallFault::FailsBeforeEffect | CallFault::ReplyLost)) => {
                state.faults_left -= 1;
                if f == CallFault::ReplyLost {
                    self.effect(state, run, &command);
                }
                // Compensations are retried until they succeed; forward steps have a budget.
                if !command.is_compensation() {
                    state.runs[run].make_mut().attempts += 1;
                    if state.runs[run].attempts >= self.scenario.max_attempts {
                        self.give_up(state, run, "retries exhausted");
                    }
                }
            }
        }
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
        let runs = s
            .orders
            .iter()
            .zip(s.checkout_ids())
            .map(|(order, id)| {
                Shared::new(Run {
                    checkout: self.settle(CheckoutState::start(id, order.clone())),
                    attempts: 0,
                    courier_requested: false,
                    amount_due: None,
                    was_billed: false,
                    redeemed_points: false,
                })
            })
            .collect();
        vec![SagaState {
            runs,
            inventory: Shared::new(inventory),
            points: Shared::new(points),
            wallets: Shared::new(wallets),
            courier_queue: Vec::new(),
            courier_replies: Vec::new(),
            faults_left: s.faults,
            crashes_left: s.crashes,
            credits_left: s.points_credits,
            refused_with_stock_available: false,
            reply_refused: false,
            reload_failed: false,
        }]
    }

    fn actions(&self, state: &SagaState, actions: &mut Vec<SagaAction>) {
        let faulty = state.faults_left > 0;
        let crashy = state.crashes_left > 0;
        for (run, r) in state.runs.iter().enumerate() {
            // The courier wait's command (a whole order and a fresh token) is built only when
            // the request is sent: offering the actions needs only the phase.
            let next = if r.checkout.phase() == Phase::PreparingOrder { None } else { Some(r.checkout.next()) };
            match next {
                Some(Next::Finished(_)) => continue,
                Some(Next::Compute) => actions.push(SagaAction::Compute { run }),
                None | Some(Next::Run(Command::RequestCourier { .. })) => {
                    if !r.courier_requested {
                        actions.push(SagaAction::RequestCourier { run });
                    }
                    actions.push(SagaAction::DeadlinePasses { run });
                }
                Some(Next::Run(command)) => {
                    actions.push(SagaAction::Call { run, fault: None });
                    if faulty {
                        actions.push(SagaAction::Call { run, fault: Some(CallFault::FailsBeforeEffect) });
                        actions.push(SagaAction::Call { run, fault: Some(CallFault::ReplyLost) });
                        if !command.is_compensation() {
                            actions.push(SagaAction::Call { run, fault: Some(CallFault::FailsForGood) });
                        }
                    }
                    if crashy {
                        actions.push(SagaAction::Call { run, fault: Some(CallFault::CrashAfterEffect) });
                    }
                }
            }
            if crashy {
                actions.push(SagaAction::Crash { run });
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
        for reply in 0..state.courier_replies.len() {
            actions.push(SagaAction::Deliver { reply });
            if faulty {
                actions.push(SagaAction::LoseReply { reply });
                actions.push(SagaAction::DuplicateReply { reply });
            }
        }
        if state.credits_left > 0 {
            actions.push(SagaAction::CreditPoints);
        }
    }

    fn next_state(&self, last: &SagaState, action: SagaAction) -> Option<SagaState> {
        let mut state = last.clone();
        match action {
            SagaAction::Call { run, fault } => self.call(&mut state, run, fault),
            SagaAction::Compute { run } => {
                let mut r = state.runs[run].make_mut();
                r.checkout = r.checkout.clone().compute().expect("compute is offered only for pure steps");
            }
            SagaAction::RequestCourier { run } => {
                let (token, _) = state.runs[run].checkout.courier_wait()?;
                insert_sorted(&mut state.courier_queue, CourierRequest { run, token });
                state.runs[run].make_mut().courier_requested = true;
            }
            SagaAction::Crash { run } => self.restart(&mut state, run),
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
                let event = if assigned {
                    Event::CourierAssigned { token, courier: courier() }
                } else {
                    Event::CourierUnavailable { token, detail: "no courier available".into() }
                };
                // A reply for a checkout that no longer waits (late, duplicated) is discarded.
                self.feed(&mut state, run, event);
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
                let (_, deadline_ms) = state.runs[run].checkout.courier_wait()?;
                self.apply(&mut state, run, Event::DeadlinePassed { now_ms: deadline_ms });
            }
            SagaAction::CreditPoints => {
                state.credits_left -= 1;
                state
                    .points
                    .make_mut()
                    .deposit(&self.scenario.user, POINTS_CREDIT)
                    .expect("scenario amounts are small");
            }
        }
        Some(state)
    }
}

fn as_i64(n: u64) -> i64 {
    i64::try_from(n).expect("model quantities are small")
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
        for request in &state.courier_queue {
            let foreign = (!runs.is_own_token(request.run, &request.token)).then_some(&request.token);
            runs.add(request.run, (0u8, foreign));
        }
        for reply in &state.courier_replies {
            let foreign = (!runs.is_own_token(reply.run, &reply.token)).then_some(&reply.token);
            runs.add(reply.run, (1u8, foreign, reply.assigned));
        }
        let s = &self.scenario;
        Some(runs.finish((
            state.inventory.stock.balance(&s.book),
            state.points.balance(&s.user),
            state.wallets.balance(&s.user),
            (state.faults_left, state.crashes_left, state.credits_left),
            (state.refused_with_stock_available, state.reply_refused, state.reload_failed),
        )))
    }

    fn audit(&self, state: &SagaState) -> Audit {
        let s = &self.scenario;
        let orders = state
            .runs
            .iter()
            .zip(&self.keys)
            .map(|(r, [stock_key, points_key, charge_key])| {
                let order = r.checkout.order();
                OrderAudit {
                    order: order.id().clone(),
                    status: match r.checkout.phase() {
                        Phase::Dispatched => Status::Dispatched,
                        Phase::Rejected => Status::Rejected,
                        Phase::Compensated => Status::Compensated,
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
                }
            })
            .collect();
        Audit {
            initial_stock: i64::from(s.copies),
            stock: as_i64(state.inventory.stock.balance(&s.book).unwrap_or(0)),
            points_supplied: as_i64(s.points + u64::from(s.points_credits - state.credits_left) * POINTS_CREDIT),
            points: as_i64(state.points.balance(&s.user).unwrap_or(0)),
            orders,
            refused_with_stock_available: state.refused_with_stock_available,
            reply_refused: state.reply_refused,
            reload_failed: state.reload_failed,
            flaw_paths: 0,
        }
    }
}

fn order_name(model: &SagaModel, run: usize) -> String {
    model.scenario.orders[run].id().to_string()
}

impl Narrated for SagaModel {
    fn narrate(&self, before: &SagaState, action: &SagaAction, after: &SagaState) -> Step {
        let name = |run: usize| order_name(self, run);
        let phase = |state: &SagaState, run: usize| state.runs[run].checkout.phase();
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
        }
    }
}
