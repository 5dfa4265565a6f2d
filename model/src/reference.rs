//! The reference Step Functions flow exactly as the study project wrote it (serverless.yml and
//! handler.js), flaws included, so that the same invariants that pass for our saga can be seen to
//! fail for it. Each [`Flaw`] is modelled as the reference code behaves:
//!
//! - [`Flaw::Oversell`]: `checkInventory` only reads the stock; the SQS worker decrements it later.
//! - [`Flaw::PhantomStock`]: `restoreQuantity` adds the quantity back whenever preparation failed.
//! - [`Flaw::PointsOverwritten`]: `restoreRedeemPoints` writes the redeemed amount over the balance.
//! - [`Flaw::RefundNoOp`]: `refundCustomer` does nothing.
//! - [`Flaw::DoubleCharge`]: `billCustomer` is retried with no idempotency key.
//! - [`Flaw::UnboundedWait`]: the `waitForTaskToken` wait has no timeout.
//! - [`Flaw::LastCopyUnsellable`]: availability is `stock - quantity > 0`.
//!
//! The reference also has no Catch on `SendToCourier`: a failed notification ends the execution
//! with nothing given back. Step Functions executions are durable, so there are no crashes here;
//! the remaining faults are the same kinds as in our model.

use stateright::Model;

use crate::audit::{as_i64, copies, Audit, Audited, Holdings, OrderAudit, Status, Unreturned};
use crate::flaw::Flaw;
use crate::multiset::{duplicate, insert_sorted};
use crate::scenario::{Scenario, POINTS_CREDIT, RESTOCK_COPIES};
use crate::trace::{Actor, Narrated, Step};

/// Where one reference execution is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefStep {
    CheckInventory,
    CalculateTotal,
    RedeemPoints,
    BillCustomer,
    PrepareOrder,
    /// Waiting for the worker's task token callback, with no timeout.
    AwaitingCourier,
    SendToCourier,
    RestoreQuantity,
    RefundCustomer,
    RestoreRedeemPoints,
    Dispatched,
    Rejected,
    Compensated,
    /// The execution failed in a state with no Catch.
    Abandoned,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RefRun {
    pub step: RefStep,
    pub attempts: u8,
    pub total: i64,
    /// `total.points` in the reference: the balance read when redeeming, if any was redeemed.
    pub redeemed: Option<i64>,
    /// Ghost accounting: what this execution's own writes did to the shared stores.
    pub held: Holdings,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RefState {
    pub runs: Vec<RefRun>,
    pub stock: i64,
    pub points: i64,
    pub points_supplied: i64,
    pub stock_supplied: i64,
    /// Messages on the SQS queue and task callbacks in flight (run index, success), sorted.
    pub queue: Vec<usize>,
    pub callbacks: Vec<(usize, bool)>,
    pub faults_left: u8,
    pub credits_left: u8,
    pub restocks_left: u8,
    pub refused_with_stock_available: bool,
    /// Ghost: a flaw's bit is set once its code has run in a way that matters.
    pub flaw_paths: u8,
}

impl RefState {
    fn went_through(&mut self, flaw: Flaw) {
        self.flaw_paths |= flaw.bit();
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RefAction {
    /// Run the current Task state of an execution; `fault` picks how it goes wrong.
    Task {
        run: usize,
        fault: Option<RefFault>,
    },
    /// The SQS worker handles a message: decrements stock and calls back (or fails first).
    Worker {
        message: usize,
        fails_before_decrement: bool,
    },
    DuplicateMessage {
        message: usize,
    },
    Callback {
        callback: usize,
    },
    LoseCallback {
        callback: usize,
    },
    CreditPoints,
    /// An operator adds copies to the stock table.
    Restock,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefFault {
    /// The Lambda call fails without effect (retried where the state machine retries).
    FailsBeforeEffect,
    /// The Lambda call takes effect but Step Functions sees an error.
    ReplyLost,
}

pub struct ReferenceModel {
    pub scenario: Scenario,
}

/// `BillCustomer` in serverless.yml retries up to this many attempts in all.
const BILL_ATTEMPTS: u8 = 3;

impl ReferenceModel {
    pub fn new(scenario: Scenario) -> ReferenceModel {
        ReferenceModel { scenario }
    }

    fn quantity(&self, run: usize) -> i64 {
        i64::from(self.scenario.orders[run].quantity().get())
    }

    fn task(&self, state: &mut RefState, run: usize, fault: Option<RefFault>) {
        if fault.is_some() {
            state.faults_left -= 1;
        }
        let quantity = self.quantity(run);
        let redeem = self.scenario.orders[run].redeem_points();
        let price = i64::try_from(self.scenario.unit_price.minor_units()).expect("small");
        let mut hit = 0u8;
        let r = &mut state.runs[run];
        let effect_happens = fault != Some(RefFault::FailsBeforeEffect);
        use RefStep::*;
        r.step = match (r.step, fault) {
            (CheckInventory, None) => {
                // handler.js: isBookAvailable = (book.quantity - quantity) > 0
                if state.stock - quantity > 0 {
                    CalculateTotal
                } else {
                    if state.stock >= quantity {
                        state.refused_with_stock_available = true;
                        hit |= Flaw::LastCopyUnsellable.bit();
                    }
                    Rejected
                }
            }
            (CalculateTotal, None) => {
                r.total = price * quantity;
                if redeem {
                    RedeemPoints
                } else {
                    BillCustomer
                }
            }
            (RedeemPoints, _) => {
                // orderTotal > points: set points to 0 and remember what was there; else throw.
                let points = state.points;
                if r.total > points {
                    if effect_happens {
                        state.points = 0;
                        r.held.points_taken += points;
                        r.held.redeemed_points |= points > 0;
                    }
                    match fault {
                        None => {
                            r.redeemed = Some(points);
                            r.total -= points;
                            BillCustomer
                        }
                        Some(_) => RestoreRedeemPoints,
                    }
                } else {
                    RestoreRedeemPoints
                }
            }
            (BillCustomer, _) => {
                r.held.amount_due = Some(r.total);
                if effect_happens {
                    if r.held.charged > 0 {
                        hit |= Flaw::DoubleCharge.bit();
                    }
                    r.held.charged += r.total;
                    r.held.was_billed = true;
                }
                match fault {
                    None => PrepareOrder,
                    Some(_) => {
                        r.attempts += 1;
                        if r.attempts >= BILL_ATTEMPTS {
                            RefundCustomer
                        } else {
                            BillCustomer
                        }
                    }
                }
            }
            (PrepareOrder, None) => {
                insert_sorted(&mut state.queue, run);
                AwaitingCourier
            }
            (SendToCourier, None) => Dispatched,
            // No Catch on SendToCourier: the execution fails where it stands.
            (SendToCourier, Some(_)) => Abandoned,
            (RestoreQuantity, None) => {
                if r.held.stock_taken < quantity {
                    hit |= Flaw::PhantomStock.bit();
                }
                state.stock += quantity;
                r.held.stock_taken -= quantity;
                RefundCustomer
            }
            // refundCustomer: returns without doing anything.
            (RefundCustomer, None) => {
                if r.held.charged > 0 {
                    hit |= Flaw::RefundNoOp.bit();
                }
                RestoreRedeemPoints
            }
            (RestoreRedeemPoints, None) => {
                // `if (total.points)`: a redemption of 0 points is not restored (0 is falsy).
                if let Some(points) = r.redeemed.filter(|p| *p != 0) {
                    if state.points != 0 {
                        hit |= Flaw::PointsOverwritten.bit();
                    }
                    r.held.points_taken -= points - state.points;
                    state.points = points;
                }
                Compensated
            }
            // `actions` offers no other step and outcome; should one appear, nothing happens.
            (step, _) => step,
        };
        state.flaw_paths |= hit;
    }
}

impl Model for ReferenceModel {
    type State = RefState;
    type Action = RefAction;

    fn init_states(&self) -> Vec<RefState> {
        let s = &self.scenario;
        let run =
            RefRun { step: RefStep::CheckInventory, attempts: 0, total: 0, redeemed: None, held: Holdings::default() };
        let points = i64::try_from(s.points).expect("small");
        vec![RefState {
            runs: vec![run; s.orders.len()],
            stock: i64::from(s.copies),
            points,
            points_supplied: points,
            stock_supplied: i64::from(s.copies),
            queue: Vec::new(),
            callbacks: Vec::new(),
            faults_left: s.faults,
            credits_left: s.points_credits,
            restocks_left: s.restocks,
            refused_with_stock_available: false,
            flaw_paths: 0,
        }]
    }

    fn actions(&self, state: &RefState, actions: &mut Vec<RefAction>) {
        use RefStep::*;
        let faulty = state.faults_left > 0;
        for (run, r) in state.runs.iter().enumerate() {
            match r.step {
                Dispatched | Rejected | Compensated | Abandoned | AwaitingCourier => {}
                CheckInventory | CalculateTotal | PrepareOrder => actions.push(RefAction::Task { run, fault: None }),
                RedeemPoints | BillCustomer | SendToCourier => {
                    actions.push(RefAction::Task { run, fault: None });
                    if faulty {
                        actions.push(RefAction::Task { run, fault: Some(RefFault::FailsBeforeEffect) });
                        if r.step != SendToCourier {
                            actions.push(RefAction::Task { run, fault: Some(RefFault::ReplyLost) });
                        }
                    }
                }
                RestoreQuantity | RefundCustomer | RestoreRedeemPoints => {
                    actions.push(RefAction::Task { run, fault: None })
                }
            }
        }
        for message in 0..state.queue.len() {
            actions.push(RefAction::Worker { message, fails_before_decrement: false });
            if faulty {
                actions.push(RefAction::Worker { message, fails_before_decrement: true });
                actions.push(RefAction::DuplicateMessage { message });
            }
        }
        for callback in 0..state.callbacks.len() {
            actions.push(RefAction::Callback { callback });
            if faulty {
                actions.push(RefAction::LoseCallback { callback });
            }
        }
        if state.credits_left > 0 {
            actions.push(RefAction::CreditPoints);
        }
        if state.restocks_left > 0 {
            actions.push(RefAction::Restock);
        }
    }

    fn next_state(&self, last: &RefState, action: RefAction) -> Option<RefState> {
        let mut state = last.clone();
        match action {
            RefAction::Task { run, fault } => self.task(&mut state, run, fault),
            RefAction::Worker { message, fails_before_decrement } => {
                let run = state.queue.remove(message);
                if fails_before_decrement {
                    state.faults_left -= 1;
                } else {
                    // updateBookQuantity: quantity = quantity - :orderQuantity, unconditionally.
                    let quantity = self.quantity(run);
                    if state.runs[run].held.stock_taken == 0 && state.stock >= 0 && state.stock < quantity {
                        state.went_through(Flaw::Oversell);
                    }
                    state.stock -= quantity;
                    state.runs[run].held.stock_taken += quantity;
                }
                insert_sorted(&mut state.callbacks, (run, !fails_before_decrement));
            }
            RefAction::DuplicateMessage { message } => {
                state.faults_left -= 1;
                duplicate(&mut state.queue, message);
            }
            RefAction::Callback { callback } => {
                let (run, success) = state.callbacks.remove(callback);
                // A callback for a token that no longer waits is rejected by Step Functions.
                if state.runs[run].step == RefStep::AwaitingCourier {
                    state.runs[run].step = if success { RefStep::SendToCourier } else { RefStep::RestoreQuantity };
                }
            }
            RefAction::LoseCallback { callback } => {
                state.faults_left -= 1;
                let (run, _) = state.callbacks.remove(callback);
                if state.runs[run].step == RefStep::AwaitingCourier {
                    state.went_through(Flaw::UnboundedWait);
                }
            }
            RefAction::CreditPoints => {
                state.credits_left -= 1;
                let credit = i64::try_from(POINTS_CREDIT).expect("small");
                state.points += credit;
                state.points_supplied += credit;
            }
            RefAction::Restock => {
                state.restocks_left -= 1;
                let copies = i64::try_from(RESTOCK_COPIES).expect("small");
                state.stock += copies;
                state.stock_supplied += copies;
            }
        }
        Some(state)
    }
}

impl Audited for ReferenceModel {
    fn audit(&self, state: &RefState) -> Audit {
        let orders = state
            .runs
            .iter()
            .enumerate()
            .map(|(i, r)| OrderAudit {
                order: self.scenario.orders[i].id().clone(),
                status: match r.step {
                    RefStep::Dispatched => Status::Dispatched,
                    RefStep::Rejected => Status::Rejected,
                    RefStep::Compensated => Status::Compensated,
                    RefStep::Abandoned => Status::Abandoned,
                    _ => Status::InProgress,
                },
                quantity: self.quantity(i),
                held: r.held.clone(),
                unreturned: Unreturned::default(),
                compensation_refused: false,
                // Not followed here: past SendToCourier the reference gives nothing back (no Catch).
                courier_told: false,
                cancel: None,
                resolution: None,
            })
            .collect::<Vec<_>>();
        // The reference's payment service is modelled by its charges alone: what it charged
        // left the customer's funds, so money is conserved by construction.
        let funds_supplied = as_i64(self.scenario.funds);
        let funds = funds_supplied - orders.iter().map(|o| o.held.charged).sum::<i64>();
        Audit {
            stock_supplied: state.stock_supplied,
            stock: state.stock,
            points_supplied: state.points_supplied,
            points: state.points,
            funds_supplied,
            funds,
            orders,
            // One execution per order in every scenario it is checked in; no courier reply is
            // ever forged or misrouted in them.
            checkouts_share_an_order: false,
            foreign_reply_accepted: false,
            // Step Functions runs one execution per checkout; nothing saves over it.
            ended_checkout_changed: false,
            refused_with_stock_available: state.refused_with_stock_available,
            // Step Functions routes every Lambda result and keeps the execution state itself.
            reply_refused: false,
            reload_failed: false,
            flaw_paths: state.flaw_paths,
        }
    }
}

impl Narrated for ReferenceModel {
    fn narrate(&self, before: &RefState, action: &RefAction, after: &RefState) -> Step {
        let name = |run: usize| self.scenario.orders[run].id().to_string();
        let step = |from, to, text: String| Step { from, to, text };
        match action {
            RefAction::Task { run, fault } => {
                let outcome = match fault {
                    None => "runs",
                    Some(RefFault::FailsBeforeEffect) => "fails before taking effect",
                    Some(RefFault::ReplyLost) => "takes effect but Step Functions sees an error",
                };
                let (from, to) = (before.runs[*run].step, after.runs[*run].step);
                let target = match from {
                    RefStep::CalculateTotal => Actor::Orchestrator,
                    RefStep::PrepareOrder => Actor::Queue,
                    RefStep::SendToCourier => Actor::Outside,
                    _ => Actor::Stores,
                };
                step(Actor::Orchestrator, target, format!("{}: {from:?} {outcome}, next {to:?}", name(*run)))
            }
            RefAction::Worker { message, fails_before_decrement } => {
                let run = before.queue[*message];
                let text = if *fails_before_decrement {
                    format!("worker takes the message of {} and fails before taking stock", name(run))
                } else {
                    format!(
                        "worker takes the message of {}, takes {} from stock, calls back success",
                        name(run),
                        copies(self.quantity(run))
                    )
                };
                step(Actor::Queue, Actor::Worker, text)
            }
            RefAction::DuplicateMessage { message } => {
                let run = before.queue[*message];
                step(Actor::Queue, Actor::Queue, format!("the queue delivers the message of {} twice", name(run)))
            }
            RefAction::Callback { callback } => {
                let (run, success) = before.callbacks[*callback];
                let verdict = if success { "success" } else { "failure" };
                let text = format!("the {verdict} callback for {} arrives, next {:?}", name(run), after.runs[run].step);
                step(Actor::Worker, Actor::Orchestrator, text)
            }
            RefAction::LoseCallback { callback } => {
                let (run, _) = before.callbacks[*callback];
                step(Actor::Worker, Actor::Worker, format!("the callback for {} is lost", name(run)))
            }
            RefAction::CreditPoints => step(
                Actor::Outside,
                Actor::Stores,
                format!("{POINTS_CREDIT} points are credited to the customer from outside"),
            ),
            RefAction::Restock => {
                step(Actor::Outside, Actor::Stores, format!("an operator adds {RESTOCK_COPIES} copy to the stock"))
            }
        }
    }
}
