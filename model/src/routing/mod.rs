//! The generated Step Functions state machine (`deploy/checkout.asl.json`, from `checkout-asl`),
//! model-checked with the code that ships. The model reads the definition itself: its Task,
//! Retry, Catch and timeout routing, and its data flow (`Parameters`, `ResultPath`, the paths
//! they name), so a path that names nothing is an execution that fails, as it would on AWS. Each
//! invocation of the step function is the shipped one, `checkout_stepfn::invocation::invoke`, driven by the one
//! drive loop (`checkout-drive`) over the in-memory shop; the model adds only what AWS does around
//! it.
//!
//! A customer's cancel, once per run at any moment, as `checkout cancel` carries it out on the
//! shop the executions use, races the executions.
//!
//! Faults, within a budget per run: an invocation that dies after any of its calls to the shop
//! (Lambda reports `Runtime.ExitError`); one whose reply is lost after it ran (the Lambda service
//! reports `Lambda.ServiceException`, and the machine retries); one whose reply is lost while it
//! still runs, so that the retry and the late one (a zombie) both act; and a courier request that
//! is lost, answered with a courier, answered "no courier", or answered with another wait's token
//! (a forged or misdirected reply). Where a run starts so: a shop that refuses every
//! compensation for good, the same order started again under another execution name, and another
//! order started under an order id already used. Over each shop: a copy and enough money, a copy
//! and too little, no copy.
//!
//! The properties, for every execution: one that succeeds dispatched its checkout; one that fails
//! names its checkout's end (a refused order: rejected); one that fails leaves nothing taken,
//! unless it names an operator's task; and every execution ends. For the shop: a checkout holds
//! what its end says (a dispatched one its copies and its charge, a rejected or compensated one
//! nothing), whatever a late invocation does after it ended; a courier told to collect an order
//! collects one that stays sold (its copies held, never rejected or compensated); and one order
//! has one checkout.
//! A corrupted definition ([`crate::corruption`]) breaks one of them, which the tests show.

use std::sync::Arc;

use checkout_domain::{
    BookId, CheckoutId, CheckoutState, CourierId, Effect, EffectKey, Money, Next, Order, Outcome, Phase, TaskToken,
    UserId,
};
use checkout_drive::{Driver, World};
use checkout_engine::{Engine, Policy};
use checkout_memory::{MemoryShop, ShopFaults, ShopState};
use checkout_ports::Clock;
use checkout_stepfn::contract::{CourierAssigned, CourierUnavailable};
pub use checkout_stepfn::contract::{COMPENSATED, COURIER_UNAVAILABLE, NEEDS_OPERATOR, REJECTED, RETRY};
use checkout_stepfn::invocation::{invoke, Request};
use serde_json::{json, Value};

use crate::asl::{matches, place, resolve, AslError, Context};
pub use crate::asl::{AslState, Routing, Work, RUNTIME, TIMEOUT};
use stateright::{Model, Property};

mod properties;
mod state;

pub use state::{CourierAnswer, Execution, InvokeFault, Position, RoutingAction, RoutingState, Start, Wait};

/// What Lambda reports for an invocation whose process died.
pub const CRASHED: &str = "Runtime.ExitError";
/// What the Lambda service reports when an invocation's reply is lost.
pub const REPLY_LOST: &str = "Lambda.ServiceException";

/// Faults per run in the check of the generated definition (a corruption is checked with as few
/// as show it, to keep the tests quick).
pub const FAULTS: u8 = 3;

/// A retrier's `MaxAttempts` from which it is read as retrying without end (the model does not
/// count such attempts, which only the fault budget bounds).
const ENDLESS: u64 = 1_000;
/// The most calls to the shop one invocation is crashed after.
const MOST_CALLS: u8 = 12;

/// The model of one definition.
#[derive(Clone, Debug)]
pub struct RoutingModel {
    pub routing: Routing,
    pub engine: Engine,
    /// (copies on the shelf, the customer's funds), one run each.
    pub shelves: Vec<(u32, u64)>,
    pub starts: Vec<Start>,
    /// Also start every run with a shop that refuses compensations.
    pub refusing_shops: bool,
    /// Faults allowed in one run.
    pub faults: u8,
    /// The engine as before the point of no return ([`crate::before_no_return`]): `Compensate`
    /// gives a checkout's courier notice up and compensates. A weakened copy, never shipped.
    pub notice_gives_up: bool,
    /// Customer cancels that may come in one run, at any moment.
    pub cancels: u8,
}

/// The model's world: the time stands still at 1 ms, waits take no time, and the one checkout's
/// id and wait token are fixed, so a run is the same every time the checker takes it.
struct ModelWorld;

impl Clock for ModelWorld {
    fn now_ms(&self) -> u64 {
        1
    }
}

impl World for ModelWorld {
    fn real(&self, _ms: u64) -> std::time::Duration {
        std::time::Duration::ZERO
    }

    fn mint_token(&self) -> TaskToken {
        TaskToken::new("wait-1").expect("valid")
    }

    fn fresh_checkout_id(&self) -> CheckoutId {
        CheckoutId::new("ck-1").expect("valid")
    }
}

thread_local! {
    /// The runtime invocations run on, one per checker thread.
    static TOKIO: tokio::runtime::Runtime =
        tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a runtime");
}

const BOOK: &str = "b-1";
const USER: &str = "u-1";
const UNIT_PRICE: u64 = 1_000;

fn order(quantity: u64) -> Order {
    Order::new(
        checkout_domain::OrderId::new("o-1").expect("valid"),
        BookId::new(BOOK).expect("valid"),
        UserId::new(USER).expect("valid"),
        checkout_domain::Quantity::new(quantity).expect("positive"),
        false,
    )
}

/// What the keys of checkout `id` hold.
pub fn held(shop: &ShopState, id: &CheckoutId) -> u64 {
    let stores = &shop.stores;
    stores.inventory.stock.held_by(&EffectKey::new(id, Effect::ReserveStock))
        + stores.wallets.held_by(&EffectKey::new(id, Effect::Charge))
        + stores.points.held_by(&EffectKey::new(id, Effect::RedeemPoints))
}

/// The checkout an execution drives: `Ok(None)` before its order is admitted, `Err(())` when
/// its order id belongs to another order (the execution is refused).
fn checkout_of<'s>(shop: &'s ShopState, execution: &Execution) -> Result<Option<&'s CheckoutState>, ()> {
    let input = Order::from_json(&execution.input).map_err(|_| ())?;
    match shop.checkouts().find(|c| c.order().id() == input.id()) {
        Some(checkout) if *checkout.order() == input => Ok(Some(checkout)),
        Some(_) => Err(()),
        None => Ok(None),
    }
}

/// What the engine before the point of no return did when `Compensate` found a checkout
/// notifying its courier: it gave the notice up and compensated. Saved as a new claim would.
fn give_the_notice_up(shop: &mut ShopState) {
    use checkout_domain::fencing::Lease;
    use checkout_ports::CheckoutRepository;
    let Some(notifying) = shop.checkouts().find(|c| c.phase() == Phase::NotifyingCourier).cloned() else { return };
    let memory = MemoryShop::from_state(shop.clone(), ShopFaults::default());
    TOKIO.with(|runtime| {
        runtime.block_on(async {
            let id = notifying.id();
            let (fence, _) = memory.claim(id, Lease::HELD_BY_HOST).await.expect("in memory").expect("saved");
            let given_up = crate::before_no_return::given_up_notice(&notifying);
            memory.save(id, fence, &given_up, &[]).await.expect("the claim just made saves");
        })
    });
    *shop = memory.state();
}

impl RoutingModel {
    /// The model of `definition`'s routing, with the shipped policy and every start and shop.
    pub fn new(definition: &Value) -> Result<RoutingModel, AslError> {
        Ok(RoutingModel {
            routing: Routing::parse(definition)?,
            engine: Engine::new(Policy::default(), 1),
            shelves: vec![(1, 5_000), (1, 100), (0, 5_000)],
            starts: vec![Start::Once, Start::Twice, Start::IdReused],
            refusing_shops: true,
            faults: FAULTS,
            notice_gives_up: false,
            cancels: 1,
        })
    }

    /// A customer's cancel, as `checkout cancel` carries it out on the shop the executions use:
    /// the shipped `Driver::cancel` claims the checkout and applies the cancel, and the same
    /// process drives it on to its end (`drive_claimed`). Answers whether it was honoured.
    fn cancel(&self, shop: &mut ShopState, refuse_compensations: bool) -> bool {
        let Some(id) = shop.checkouts().find(|c| !c.is_finished()).map(|c| c.id().clone()) else { return false };
        let faults = ShopFaults { calls_before_stop: None, refuse_compensations };
        let memory = Arc::new(MemoryShop::from_state(shop.clone(), faults));
        let runner = Driver::new(Arc::clone(&memory), self.engine.clone(), ModelWorld);
        let honoured = TOKIO.with(|runtime| {
            runtime.block_on(async {
                let cancellation = runner.cancel(&id).await.expect("the checkout is in the shop");
                runner.drive_claimed(cancellation.fence, cancellation.checkout).await.expect("driven to its end");
                cancellation.answer.is_ok()
            })
        });
        *shop = memory.state();
        honoured
    }

    /// Runs one invocation of the shipped step function on `shop`; `None` if it died first.
    fn invoke(
        &self,
        shop: &mut ShopState,
        refuse_compensations: bool,
        request: &Value,
        crash_after: Option<u8>,
    ) -> Option<Result<Value, (String, String)>> {
        let request: Request = match serde_json::from_value(request.clone()) {
            Ok(request) => request,
            Err(e) => return Some(Err(("Runtime.MalformedRequest".into(), e.to_string()))),
        };
        // A run without a crash still stops after MOST_CALLS calls, which it must never reach:
        // the crashes explored are those after each call an invocation can make.
        if self.notice_gives_up && request.action == "compensate" {
            give_the_notice_up(shop);
        }
        let limit = crash_after.unwrap_or(MOST_CALLS);
        let faults = ShopFaults { calls_before_stop: Some(u32::from(limit)), refuse_compensations };
        let memory = Arc::new(MemoryShop::from_state(shop.clone(), faults));
        let runner = Driver::new(Arc::clone(&memory), self.engine.clone(), ModelWorld);
        let result = TOKIO.with(|runtime| {
            runtime.block_on(async {
                tokio::select! {
                    biased;
                    result = invoke(&runner, request) => Some(result),
                    () = memory.stopped() => None,
                }
            })
        });
        *shop = memory.state();
        assert!(
            result.is_some() || crash_after.is_some(),
            "an invocation made more than {MOST_CALLS} calls to the shop: raise MOST_CALLS"
        );
        result.map(|r| r.map_err(|e| (e.name.to_string(), e.message)))
    }

    /// The execution enters state `name`.
    fn enter(&self, execution: &mut Execution, name: &str) {
        execution.attempts.clear();
        execution.wait = Wait::None;
        execution.position = match self.routing.states.get(name) {
            Some(AslState::Fail { error }) => Position::Failed(error.clone()),
            Some(AslState::Succeed) => Position::Succeeded,
            Some(AslState::Task { work: Work::CourierWait { .. }, parameters, .. }) => {
                let (input, data) = (parse(&execution.input), parse(&execution.data));
                let context = Context { input: &input, data: &data, task_token: "task-token" };
                match resolve(&parameters["MessageBody"], &context) {
                    Ok(message) => {
                        execution.wait = Wait::Outstanding(message.to_string());
                        Position::At(name.to_string())
                    }
                    Err(_) => Position::Failed(RUNTIME.into()),
                }
            }
            Some(AslState::Task { .. }) => Position::At(name.to_string()),
            None => Position::Failed(RUNTIME.into()),
        };
    }

    /// Moves the execution on after its Task ended with `result`.
    fn finish(&self, execution: &mut Execution, result: Result<Value, (String, String)>) {
        let Position::At(at) = &execution.position else { return };
        let Some(AslState::Task { result_path, next, retry, catch, .. }) = self.routing.states.get(at) else { return };
        let data = parse(&execution.data);
        match result {
            Ok(output) => match place(&data, result_path.as_deref(), output) {
                Ok(data) => {
                    execution.data = data.to_string();
                    match next {
                        Some(next) => self.enter(execution, &next.clone()),
                        None => execution.position = Position::Succeeded,
                    }
                }
                Err(_) => execution.position = Position::Failed(RUNTIME.into()),
            },
            Err((error, cause)) => {
                if let Some(i) = retry.iter().position(|r| matches(&r.errors, &error)) {
                    if execution.attempts.len() < retry.len() {
                        execution.attempts.resize(retry.len(), 0);
                    }
                    let max = retry[i].max_attempts;
                    if max >= ENDLESS {
                        return;
                    }
                    if u64::from(execution.attempts[i]) < max {
                        execution.attempts[i] += 1;
                        return;
                    }
                }
                let Some(catcher) = catch.iter().find(|c| matches(&c.errors, &error)) else {
                    execution.position = Position::Failed(error);
                    return;
                };
                let failure = json!({ "Error": error, "Cause": cause });
                match place(&data, catcher.result_path.as_deref(), failure) {
                    Ok(data) => {
                        execution.data = data.to_string();
                        self.enter(execution, &catcher.next.clone());
                    }
                    Err(_) => execution.position = Position::Failed(RUNTIME.into()),
                }
            }
        }
    }

    /// The request the execution's current Task invokes the step function with.
    /// `None` if it is at no Task that invokes it.
    fn request(&self, execution: &Execution) -> Option<Result<Value, AslError>> {
        let Position::At(at) = &execution.position else { return None };
        let Some(AslState::Task { work: Work::Invoke, parameters, .. }) = self.routing.states.get(at) else {
            return None;
        };
        let (input, data) = (parse(&execution.input), parse(&execution.data));
        Some(resolve(parameters, &Context { input: &input, data: &data, task_token: "" }))
    }
}

fn parse(json: &str) -> Value {
    serde_json::from_str(json).expect("the model writes JSON")
}

impl Model for RoutingModel {
    type State = RoutingState;
    type Action = RoutingAction;

    fn init_states(&self) -> Vec<RoutingState> {
        let mut states = Vec::new();
        let refusing: &[bool] = if self.refusing_shops { &[false, true] } else { &[false] };
        for &(copies, funds) in &self.shelves {
            for &start in &self.starts {
                for &refuse_compensations in refusing {
                    let mut shop = MemoryShop::new().state();
                    let (book, user) = (BookId::new(BOOK).expect("valid"), UserId::new(USER).expect("valid"));
                    shop.stores.inventory.add_book(book, copies, Money::from_minor_units(UNIT_PRICE)).expect("small");
                    shop.stores.wallets.open(user.clone(), funds).expect("small");
                    shop.stores.points.open(user, 0).expect("small");
                    let inputs = match start {
                        Start::Once => vec![order(1)],
                        Start::Twice => vec![order(1), order(1)],
                        Start::IdReused => vec![order(1), order(2)],
                    };
                    let executions = inputs
                        .iter()
                        .map(|order| {
                            let input = serde_json::to_string(order).expect("an order prints");
                            let mut execution = Execution {
                                data: input.clone(),
                                input,
                                position: Position::At(String::new()),
                                attempts: Vec::new(),
                                wait: Wait::None,
                            };
                            self.enter(&mut execution, &self.routing.start);
                            execution
                        })
                        .collect();
                    states.push(RoutingState {
                        shop,
                        refuse_compensations,
                        executions,
                        zombies: Vec::new(),
                        faults_left: self.faults,
                        cancels_left: self.cancels,
                        cancelled: false,
                    });
                }
            }
        }
        states
    }

    fn actions(&self, state: &RoutingState, actions: &mut Vec<RoutingAction>) {
        for (i, execution) in state.executions.iter().enumerate() {
            let Position::At(at) = &execution.position else { continue };
            match self.routing.states.get(at) {
                Some(AslState::Task { work: Work::Invoke, .. }) => {
                    actions.push(RoutingAction::Invoke { execution: i, fault: None });
                    if state.faults_left > 0 {
                        for k in 0..MOST_CALLS {
                            actions
                                .push(RoutingAction::Invoke { execution: i, fault: Some(InvokeFault::CrashAfter(k)) });
                        }
                        actions.push(RoutingAction::Invoke { execution: i, fault: Some(InvokeFault::ReplyLost) });
                        actions.push(RoutingAction::Invoke { execution: i, fault: Some(InvokeFault::Zombie) });
                    }
                }
                Some(AslState::Task { work: Work::CourierWait { times_out }, .. }) => {
                    if let Wait::Outstanding(_) = execution.wait {
                        actions.push(RoutingAction::Courier { execution: i, answer: CourierAnswer::Assigned });
                        actions.push(RoutingAction::Courier { execution: i, answer: CourierAnswer::NoCourier });
                        if state.faults_left > 0 {
                            actions.push(RoutingAction::Courier { execution: i, answer: CourierAnswer::Misdirected });
                            actions.push(RoutingAction::Courier { execution: i, answer: CourierAnswer::Lost });
                        }
                    }
                    if *times_out {
                        actions.push(RoutingAction::WaitTimesOut { execution: i });
                    }
                }
                _ => {}
            }
        }
        for zombie in 0..state.zombies.len() {
            actions.push(RoutingAction::ZombieRuns { zombie });
        }
        // A cancel of a checkout that has ended is refused and changes nothing.
        if state.cancels_left > 0 && state.shop.checkouts().any(|c| !c.is_finished()) {
            actions.push(RoutingAction::Cancel);
        }
    }

    fn next_state(&self, state: &RoutingState, action: RoutingAction) -> Option<RoutingState> {
        let mut next = state.clone();
        match action {
            RoutingAction::Invoke { execution: i, fault } => {
                let request = self.request(&next.executions[i]);
                let request = match request {
                    Some(Ok(request)) => request,
                    None | Some(Err(_)) => {
                        next.executions[i].position = Position::Failed(RUNTIME.into());
                        return Some(next);
                    }
                };
                if fault.is_some() {
                    next.faults_left -= 1;
                }
                let result = match fault {
                    None => self.invoke(&mut next.shop, next.refuse_compensations, &request, None)?,
                    Some(InvokeFault::CrashAfter(k)) => {
                        match self.invoke(&mut next.shop, next.refuse_compensations, &request, Some(k)) {
                            // It ended before its k-th call: no crash at that point.
                            Some(_) => return None,
                            None => Err((CRASHED.to_string(), "the function's process died".to_string())),
                        }
                    }
                    Some(InvokeFault::ReplyLost) => {
                        let _ran = self.invoke(&mut next.shop, next.refuse_compensations, &request, None)?;
                        Err((REPLY_LOST.to_string(), "the reply was lost".to_string()))
                    }
                    Some(InvokeFault::Zombie) => {
                        next.zombies.push((i, request.to_string()));
                        next.zombies.sort();
                        Err((REPLY_LOST.to_string(), "the reply was lost; the invocation still runs".to_string()))
                    }
                };
                self.finish(&mut next.executions[i], result);
            }
            RoutingAction::Courier { execution: i, answer } => {
                let Wait::Outstanding(message) = &next.executions[i].wait else { return None };
                let message = parse(message);
                let wait = message["waitToken"].as_str().and_then(|w| TaskToken::new(w).ok());
                let courier = CourierId::new("c-1").expect("valid");
                let result = match (answer, wait) {
                    (CourierAnswer::Lost, _) => {
                        next.faults_left -= 1;
                        next.executions[i].wait = Wait::Lost;
                        return Some(next);
                    }
                    // A message the worker cannot read stays on the queue, unanswered.
                    (_, None) => {
                        next.executions[i].wait = Wait::Lost;
                        return Some(next);
                    }
                    (CourierAnswer::Assigned, Some(wait)) => {
                        Ok(CourierAssigned { courier: courier.clone(), wait_token: wait }.output())
                    }
                    (CourierAnswer::Misdirected, Some(_)) => {
                        next.faults_left -= 1;
                        let other = TaskToken::new("wait-of-another-checkout").expect("valid");
                        Ok(CourierAssigned { courier: courier.clone(), wait_token: other }.output())
                    }
                    (CourierAnswer::NoCourier, Some(wait)) => {
                        let cause = CourierUnavailable { wait_token: wait, detail: "no courier nearby".into() };
                        Err((COURIER_UNAVAILABLE.to_string(), cause.cause()))
                    }
                };
                self.finish(&mut next.executions[i], result);
            }
            RoutingAction::WaitTimesOut { execution: i } => {
                self.finish(&mut next.executions[i], Err((TIMEOUT.to_string(), String::new())));
            }
            RoutingAction::ZombieRuns { zombie } => {
                let (_, request) = next.zombies.remove(zombie);
                // Its reply goes nowhere: the task it answered is over.
                self.invoke(&mut next.shop, next.refuse_compensations, &parse(&request), None);
            }
            RoutingAction::Cancel => {
                next.cancels_left -= 1;
                if self.cancel(&mut next.shop, next.refuse_compensations) {
                    next.cancelled = true;
                }
            }
        }
        Some(next)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        properties::all()
    }
}

/// Why the committed definition could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DefinitionError {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: std::path::PathBuf, source: std::io::Error },
    #[error("{} is not JSON: {source}", path.display())]
    NotJson { path: std::path::PathBuf, source: serde_json::Error },
}

/// The generated definition, as committed (`deploy/checkout.asl.json`).
pub fn generated() -> Result<Value, DefinitionError> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/checkout.asl.json");
    let text = std::fs::read_to_string(&path).map_err(|source| DefinitionError::Read { path: path.clone(), source })?;
    serde_json::from_str(&text).map_err(|source| DefinitionError::NotJson { path, source })
}

/// What checking one definition found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoutingVerdict {
    pub unique_states: usize,
    /// The properties (always, eventually) with a counterexample, by name, sorted.
    pub broken: Vec<&'static str>,
    /// The sometimes-properties with an example, by name, sorted.
    pub examples: Vec<&'static str>,
}

/// Checks every property of `definition`'s model with `faults` faults per run, breadth first.
pub fn check(definition: &Value, faults: u8, notice_gives_up: bool) -> Result<RoutingVerdict, AslError> {
    use stateright::Checker;
    let mut model = RoutingModel::new(definition)?;
    model.faults = faults;
    model.notice_gives_up = notice_gives_up;
    let sometimes: Vec<&'static str> = model
        .properties()
        .into_iter()
        .filter(|p| p.expectation == stateright::Expectation::Sometimes)
        .map(|p| p.name)
        .collect();
    let checker = model.checker().spawn_bfs().join();
    let (mut examples, mut broken): (Vec<&'static str>, Vec<&'static str>) =
        checker.discoveries().into_keys().partition(|name| sometimes.contains(name));
    broken.sort();
    examples.sort();
    Ok(RoutingVerdict { unique_states: checker.unique_state_count(), broken, examples })
}
