//! Each step of a counterexample told in words, for docs/proofs.md and failing tests.

use super::*;

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
            SagaAction::Cancel { run } => {
                let answer = match after.runs[*run].cancel {
                    _ if before.runs[*run].cancel.is_some() => "a second cancel, refused",
                    Some(CancelAnswer::Honoured) => "honoured",
                    Some(CancelAnswer::PastNoReturn) => "refused: past the point of no return",
                    Some(CancelAnswer::NothingToCancel) => "refused: nothing to cancel",
                    None => unreachable!("a cancel is answered"),
                };
                let text = format!(
                    "{}: the customer cancels; the cancel claims the checkout (fence {}): {answer}, checkout is {}",
                    name(*run),
                    after.runs[*run].slot.fence().get(),
                    phase(after, *run)
                );
                step(Actor::Outside, Actor::Orchestrator, text)
            }
            SagaAction::Resolve { run, went_out } => {
                let kind = if *went_out { "collected by the courier" } else { "given back by hand" };
                let answer = if after.runs[*run].held_when_resolved.is_some()
                    && before.runs[*run].held_when_resolved.is_none()
                {
                    "taken"
                } else {
                    "refused"
                };
                let text = format!(
                    "{}: an operator resolves it as {kind}: {answer}, checkout is {}",
                    name(*run),
                    phase(after, *run)
                );
                step(Actor::Outside, Actor::Orchestrator, text)
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
