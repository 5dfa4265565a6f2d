//! The generated Step Functions state machine (`deploy/checkout.asl.json`, from `checkout-asl`),
//! model-checked: its Task, Retry, Catch and timeout routing, read from the definition itself,
//! with the step function's actions taken by the domain's transitions, the engine's decisions
//! and the in-memory stores, under Lambda crashes (before or after each store call), declined
//! charges, short stock, and a courier that answers, finds no one, or never answers.
//!
//! The properties: an execution that succeeds dispatched its checkout; one that fails names the
//! checkout's outcome and leaves nothing taken (or names it for an operator); and every execution
//! ends. A corrupted definition (a Catch sent elsewhere, a timeout dropped) breaks one of them,
//! which the tests show.

use std::collections::BTreeMap;

use checkout_domain::fencing::Fence;
use checkout_domain::{
    BookId, CheckoutId, CheckoutState, Command, CourierId, Effect, EffectKey, Event, Money, Order, Outcome, TaskToken,
    UserId,
};
use checkout_engine::{Action, AfterCall, Engine, Policy, Progress};
use checkout_memory::Stores;
use serde_json::Value;
use stateright::{Model, Property};

/// The error names the machine and the step function share (`checkout_asl::contract`, restated
/// here because the model crate does not depend on the generator; the test that reads the
/// generated file fails if they part).
pub const REJECTED: &str = "Checkout.Rejected";
pub const COMPENSATED: &str = "Checkout.Compensated";
pub const NEEDS_OPERATOR: &str = "Checkout.NeedsOperator";
pub const RETRY: &str = "Checkout.Retry";
pub const COURIER_UNAVAILABLE: &str = "Courier.Unavailable";
pub const TIMEOUT: &str = "States.Timeout";

/// What a Task state does.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Work {
    /// The step function, with its action.
    Step(String),
    /// The courier wait: a request on the queue, answered with the task's token.
    CourierWait { times_out: bool },
}

/// One state of the definition, as far as routing goes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AslState {
    Task { work: Work, next: Option<String>, retries: u32, catches: Vec<(Vec<String>, String)> },
    Fail { error: String },
    Succeed,
}

/// The definition's routing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Routing {
    pub start: String,
    pub states: BTreeMap<String, AslState>,
}

impl Routing {
    /// Reads the routing of an Amazon States Language definition.
    pub fn parse(definition: &Value) -> Result<Routing, String> {
        let start = definition["StartAt"].as_str().ok_or("no StartAt")?.to_string();
        let mut states = BTreeMap::new();
        for (name, body) in definition["States"].as_object().ok_or("no States")? {
            let state = match body["Type"].as_str() {
                Some("Fail") => AslState::Fail { error: body["Error"].as_str().unwrap_or_default().to_string() },
                Some("Succeed") => AslState::Succeed,
                Some("Task") => {
                    let work = if body["Resource"].as_str().is_some_and(|r| r.contains("waitForTaskToken")) {
                        Work::CourierWait { times_out: body["TimeoutSeconds"].is_u64() }
                    } else {
                        let action = body["Parameters"]["action"].as_str().ok_or(format!("{name}: no action"))?;
                        Work::Step(action.to_string())
                    };
                    let next = if body["End"] == Value::Bool(true) {
                        None
                    } else {
                        Some(body["Next"].as_str().ok_or(format!("{name}: no Next and no End"))?.to_string())
                    };
                    let retries = body["Retry"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|r| r["ErrorEquals"].as_array().is_some_and(|e| e.iter().any(|e| e == RETRY)))
                        .and_then(|r| r["MaxAttempts"].as_u64())
                        .unwrap_or(0);
                    let catches = body["Catch"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|c| {
                            let errors = c["ErrorEquals"].as_array().into_iter().flatten();
                            let errors = errors.filter_map(|e| e.as_str().map(str::to_string)).collect();
                            (errors, c["Next"].as_str().unwrap_or_default().to_string())
                        })
                        .collect();
                    AslState::Task { work, next, retries: u32::try_from(retries).unwrap_or(u32::MAX), catches }
                }
                other => return Err(format!("{name}: state type {other:?} is not modelled")),
            };
            states.insert(name.clone(), state);
        }
        Ok(Routing { start, states })
    }

    /// Where an error raised in `state` goes: its first Catch that names it (or
    /// `States.ALL`); `None` if none does, which fails the execution with that error.
    fn catch(&self, state: &str, error: &str) -> Option<String> {
        let Some(AslState::Task { catches, .. }) = self.states.get(state) else { return None };
        catches
            .iter()
            .find(|(errors, _)| errors.iter().any(|e| e == error || e == "States.ALL"))
            .map(|(_, n)| n.clone())
    }
}

/// Where an execution is.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Position {
    At(String),
    Succeeded,
    Failed(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RoutingState {
    pub position: Position,
    pub checkout: CheckoutState,
    pub stores: Stores,
    /// Failed attempts of the current Task.
    pub attempts: u32,
    /// The failure a Catch passed on (`Error`, `Cause`), as the next Task reads it.
    pub failure: Option<(String, String)>,
    /// The wait token Bill returned, which the courier's answer names.
    pub wait: Option<TaskToken>,
    /// The courier request was lost: no answer will ever come.
    pub courier_lost: bool,
    /// How many more times a function may crash (the fault budget).
    pub crashes_left: u8,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RoutingAction {
    /// The step function runs to its end (`crash_after: None`), or crashes after that many store
    /// calls.
    Invoke {
        crash_after: Option<u8>,
    },
    CourierAnswers,
    CourierFindsNone,
    /// The request is lost: only the wait's timeout, if it has one, ends the wait.
    CourierLosesRequest,
    WaitTimesOut,
}

/// One order of one copy, and the customer's funds.
#[derive(Clone, Debug)]
pub struct RoutingModel {
    pub routing: Routing,
    pub engine: Engine,
    pub shelves: Vec<(u32, u64)>,
    /// Function crashes allowed in one execution: enough to exhaust a forward Task's retries.
    pub crashes: u8,
}

const FENCE: Fence = Fence::FIRST;

fn ids() -> (CheckoutId, BookId, UserId) {
    (CheckoutId::new("ck-1").expect("valid"), BookId::new("b-1").expect("valid"), UserId::new("u-1").expect("valid"))
}

impl RoutingModel {
    /// The model of `definition`'s routing, with the shipped policy, over each shop in turn: a
    /// copy and enough money, a copy and too little money, no copy.
    pub fn new(definition: &Value) -> Result<RoutingModel, String> {
        Ok(RoutingModel {
            routing: Routing::parse(definition)?,
            engine: Engine::new(Policy::default(), 1),
            shelves: vec![(1, 5_000), (1, 100), (0, 5_000)],
            crashes: 4,
        })
    }

    /// The step function's action on the checkout (what `checkout_lambda::step` does through the
    /// runner): the host's news first, then the engine's steps until the checkout ends or its
    /// courier request is due. A crash after `crash_after` store calls leaves the effects made.
    fn step(&self, state: &mut RoutingState, action: &str, crash_after: Option<u8>) -> Result<(), String> {
        let mut progress = Progress::default();
        let now = 1;
        let news = match action {
            "dispatch" => state
                .wait
                .clone()
                .map(|token| Event::CourierAssigned { token, courier: CourierId::new("c-1").expect("valid") }),
            "compensate" => match &state.failure {
                Some((error, _)) if error == COURIER_UNAVAILABLE => {
                    state.wait.clone().map(|token| Event::CourierUnavailable { token, detail: "no courier".into() })
                }
                Some((error, cause)) => self.engine.abandon(&state.checkout, format!("{error}: {cause}"), now),
                None => self.engine.abandon(&state.checkout, "failed".into(), now),
            },
            _ => None,
        };
        if let Some(event) = news {
            if let Ok(next) = self.engine.apply(state.checkout.clone(), &mut progress, event) {
                state.checkout = next;
            }
        }
        let mut calls = 0u8;
        loop {
            match self.engine.next(&state.checkout, &progress) {
                Action::Finished(Outcome::Dispatched) if action != "compensate" => return Ok(()),
                Action::Finished(Outcome::Dispatched) => return Err(NEEDS_OPERATOR.into()),
                Action::Finished(Outcome::Rejected) => return Err(REJECTED.into()),
                Action::Finished(Outcome::Compensated) => return Err(COMPENSATED.into()),
                Action::Finished(Outcome::NeedsOperator) => return Err(NEEDS_OPERATOR.into()),
                Action::Compute => {
                    state.checkout =
                        self.engine.compute(state.checkout.clone(), &mut progress).map_err(|r| r.error.to_string())?
                }
                Action::OpenCourierWait => {
                    let token = TaskToken::new("wait-1").expect("valid");
                    state.checkout = self
                        .engine
                        .apply(state.checkout.clone(), &mut progress, Event::CourierWaitOpened { token })
                        .map_err(|r| r.error.to_string())?;
                }
                Action::RequestCourier(Command::RequestCourier { token, .. }) => {
                    if action == "bill" {
                        state.wait = Some(token);
                        return Ok(());
                    }
                    return Err(RETRY.into());
                }
                Action::RequestCourier(_) | Action::AwaitCourier { .. } => return Err(RETRY.into()),
                Action::Call(command) => {
                    if crash_after == Some(calls) {
                        return Err(RETRY.into());
                    }
                    calls += 1;
                    let event = match state.stores.perform(FENCE, &command, now) {
                        Ok(Some(event)) => event,
                        Ok(None) => Event::CourierNotified,
                        Err(superseded) => return Err(superseded.to_string()),
                    };
                    match self.engine.after_call(state.checkout.clone(), &mut progress, &command, Ok(event)) {
                        Ok(AfterCall::Moved(next)) => state.checkout = next,
                        Ok(AfterCall::Retry { .. }) => return Err(RETRY.into()),
                        Err(refused) => return Err(refused.error.to_string()),
                    }
                }
            }
        }
    }

    /// Moves the execution on from `state` after its Task ended with `result`.
    fn route(&self, state: &mut RoutingState, at: &str, result: Result<(), String>) {
        let Some(AslState::Task { next, retries, .. }) = self.routing.states.get(at) else { return };
        match result {
            Ok(()) => {
                state.attempts = 0;
                state.position = match next {
                    Some(next) => Position::At(next.clone()),
                    None => Position::Succeeded,
                };
            }
            Err(error) if error == RETRY && state.attempts < *retries => state.attempts += 1,
            Err(error) => {
                state.attempts = 0;
                state.failure = Some((error.clone(), String::new()));
                state.position = match self.routing.catch(at, &error) {
                    Some(next) => Position::At(next),
                    None => Position::Failed(error),
                };
            }
        }
        // Entering a Fail or Succeed state ends the execution.
        if let Position::At(name) = &state.position {
            match self.routing.states.get(name) {
                Some(AslState::Fail { error }) => state.position = Position::Failed(error.clone()),
                Some(AslState::Succeed) => state.position = Position::Succeeded,
                Some(AslState::Task { .. }) => {}
                None => state.position = Position::Failed(format!("no state {name}")),
            }
        }
    }

    /// What the checkout's keys hold now.
    pub fn held(state: &RoutingState) -> u64 {
        let (id, _, _) = ids();
        let stores = &state.stores;
        stores.inventory.stock.held_by(&EffectKey::new(&id, Effect::ReserveStock))
            + stores.wallets.held_by(&EffectKey::new(&id, Effect::Charge))
            + stores.points.held_by(&EffectKey::new(&id, Effect::RedeemPoints))
    }
}

impl Model for RoutingModel {
    type State = RoutingState;
    type Action = RoutingAction;

    fn init_states(&self) -> Vec<RoutingState> {
        let (id, book, user) = ids();
        let order = Order::new(
            checkout_domain::OrderId::new("o-1").expect("valid"),
            book.clone(),
            user.clone(),
            checkout_domain::Quantity::new(1).expect("one"),
            false,
        );
        self.shelves
            .iter()
            .map(|&(copies, funds)| {
                let mut stores = Stores::default();
                stores.inventory.add_book(book.clone(), copies, Money::from_minor_units(1_000)).expect("small");
                stores.wallets.open(user.clone(), funds).expect("small");
                stores.points.open(user.clone(), 0).expect("small");
                RoutingState {
                    position: Position::At(self.routing.start.clone()),
                    checkout: CheckoutState::start(id.clone(), order.clone()),
                    stores,
                    attempts: 0,
                    failure: None,
                    wait: None,
                    courier_lost: false,
                    crashes_left: self.crashes,
                }
            })
            .collect()
    }

    fn actions(&self, state: &RoutingState, actions: &mut Vec<RoutingAction>) {
        let Position::At(at) = &state.position else { return };
        match self.routing.states.get(at) {
            Some(AslState::Task { work: Work::Step(_), .. }) => {
                actions.push(RoutingAction::Invoke { crash_after: None });
                if state.crashes_left > 0 {
                    for k in 0..3 {
                        actions.push(RoutingAction::Invoke { crash_after: Some(k) });
                    }
                }
            }
            Some(AslState::Task { work: Work::CourierWait { times_out }, .. }) => {
                if !state.courier_lost {
                    actions.push(RoutingAction::CourierAnswers);
                    actions.push(RoutingAction::CourierFindsNone);
                    actions.push(RoutingAction::CourierLosesRequest);
                }
                if *times_out {
                    actions.push(RoutingAction::WaitTimesOut);
                }
            }
            _ => {}
        }
    }

    fn next_state(&self, state: &RoutingState, action: RoutingAction) -> Option<RoutingState> {
        let Position::At(at) = &state.position else { return None };
        let at = at.clone();
        let mut next = state.clone();
        let result = match (self.routing.states.get(&at), action) {
            (Some(AslState::Task { work: Work::Step(step), .. }), RoutingAction::Invoke { crash_after }) => {
                let step = step.clone();
                if crash_after.is_some() {
                    next.crashes_left -= 1;
                }
                self.step(&mut next, &step, crash_after)
            }
            (Some(AslState::Task { work: Work::CourierWait { .. }, .. }), RoutingAction::CourierAnswers) => Ok(()),
            (Some(AslState::Task { work: Work::CourierWait { .. }, .. }), RoutingAction::CourierFindsNone) => {
                Err(COURIER_UNAVAILABLE.to_string())
            }
            (Some(AslState::Task { work: Work::CourierWait { .. }, .. }), RoutingAction::CourierLosesRequest) => {
                next.courier_lost = true;
                return Some(next);
            }
            (Some(AslState::Task { work: Work::CourierWait { .. }, .. }), RoutingAction::WaitTimesOut) => {
                Err(TIMEOUT.to_string())
            }
            _ => return None,
        };
        self.route(&mut next, &at, result);
        Some(next)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always("an execution that succeeds dispatched its checkout", |_, s: &RoutingState| {
                s.position != Position::Succeeded
                    || matches!(s.checkout.next(), checkout_domain::Next::Finished(Outcome::Dispatched))
            }),
            Property::always("an execution that fails names its checkout's end", |_, s: &RoutingState| {
                let Position::Failed(error) = &s.position else { return true };
                let expected = match s.checkout.next() {
                    checkout_domain::Next::Finished(Outcome::Rejected) => REJECTED,
                    checkout_domain::Next::Finished(Outcome::Compensated) => COMPENSATED,
                    checkout_domain::Next::Finished(Outcome::NeedsOperator) => NEEDS_OPERATOR,
                    _ => return false,
                };
                error == expected
            }),
            Property::always("a failed execution leaves nothing taken", |_, s: &RoutingState| {
                let Position::Failed(error) = &s.position else { return true };
                error == NEEDS_OPERATOR || RoutingModel::held(s) == 0
            }),
            Property::eventually("every execution ends", |_, s: &RoutingState| !matches!(s.position, Position::At(_))),
        ]
    }
}
