//! The decisions: what a checkout needs now, and what follows from what its last call did.

use checkout_domain::protocol::CallError;
use checkout_domain::{CheckoutState, Command, Event, Next, Outcome, Refused};

use crate::backoff::Backoff;

/// The orchestration policy's knobs. [`Policy::default`] is what every runner ships with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Attempts a forward step gets before the checkout gives up and compensates.
    pub max_attempts: u32,
    /// The backoff between attempts of a forward step.
    pub forward: Backoff,
    /// The backoff between attempts of a compensation, which are retried without end.
    pub compensation: Backoff,
    /// The backoff between attempts of the courier notice. Past the point of no return the
    /// notice is retried without end, like a compensation: an attempt whose outcome is unknown
    /// may have reached the courier, so the checkout can no longer give up and compensate.
    pub notice: Backoff,
    /// Attempts after which a compensation gives up and is raised for an operator. `None` in the
    /// policy every runner ships with: a compensation only stops when it is refused for good.
    /// A bound exists only so that the model checker can show what giving up would break.
    pub compensation_gives_up_after: Option<u32>,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            max_attempts: 3,
            forward: Backoff { first_ms: 100, cap_ms: 2_000 },
            compensation: Backoff { first_ms: 200, cap_ms: 60_000 },
            notice: Backoff { first_ms: 200, cap_ms: 30_000 },
            compensation_gives_up_after: None,
        }
    }
}

/// What an orchestrator incarnation holds only in memory about one checkout. A restarted
/// incarnation starts from `Progress::default()`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Progress {
    /// Failed attempts of the current step.
    pub attempts: u32,
    /// Whether this incarnation has sent the courier request of the current wait.
    pub courier_requested: bool,
}

/// What a runner must do next for a checkout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Take the pure step with [`Engine::compute`].
    Compute,
    /// Issue a task token nobody can guess (random, or the one Step Functions hands out) and
    /// feed it with [`Event::CourierWaitOpened`] through [`Engine::apply`].
    OpenCourierWait,
    /// Perform this command and report what happened with [`Engine::after_call`].
    Call(Command),
    /// Send this courier request, then report it with [`Engine::courier_requested`].
    RequestCourier(Command),
    /// Wait for the courier worker's reply (feed it with [`Engine::apply`]) or for the deadline
    /// (then feed [`Event::DeadlinePassed`]).
    AwaitCourier { deadline_ms: u64 },
    /// Nothing: the checkout has ended.
    Finished(Outcome),
}

/// What follows a call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AfterCall {
    /// The checkout moved on: save it, then ask [`Engine::next`] again.
    Moved(CheckoutState),
    /// Nothing changed: call the same command again after this delay.
    Retry { checkout: CheckoutState, delay_ms: u64 },
}

impl AfterCall {
    /// The delay before the call is tried again, if it is to be.
    pub fn delay_ms(&self) -> Option<u64> {
        match self {
            AfterCall::Retry { delay_ms, .. } => Some(*delay_ms),
            AfterCall::Moved(_) => None,
        }
    }

    /// The checkout as it now stands.
    pub fn checkout(&self) -> &CheckoutState {
        match self {
            AfterCall::Moved(checkout) | AfterCall::Retry { checkout, .. } => checkout,
        }
    }
}

/// FNV-1a of a checkout's id: mixed into the engine's seed, so that the checkouts of one runner
/// failing at once (a store's outage) draw jitters of their own and do not retry in step.
fn id_hash(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

/// Whether `command` runs past the point of no return: the courier notice, which nothing can undo
/// and so nothing may give up on.
fn past_no_return(command: &Command) -> bool {
    matches!(command, Command::NotifyCourier { .. })
}

/// The orchestration policy, applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Engine {
    policy: Policy,
    /// Seeds the backoff jitter, so that a run can be replayed exactly.
    seed: u64,
}

impl Engine {
    pub fn new(policy: Policy, seed: u64) -> Engine {
        Engine { policy, seed }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// What the checkout needs now, given what this incarnation has done.
    pub fn next(&self, checkout: &CheckoutState, progress: &Progress) -> Action {
        match checkout.next() {
            Next::Finished(outcome) => Action::Finished(outcome),
            Next::Compute => Action::Compute,
            Next::OpenCourierWait => Action::OpenCourierWait,
            Next::Run(command @ Command::RequestCourier { .. }) if !progress.courier_requested => {
                Action::RequestCourier(command)
            }
            Next::Run(Command::RequestCourier { deadline_ms, .. }) => Action::AwaitCourier { deadline_ms },
            Next::Run(command) => Action::Call(command),
        }
    }

    /// Feeds an event (a reply, a courier answer, the deadline, a new token) to the checkout. A
    /// refused event leaves both as they were.
    pub fn apply(
        &self,
        checkout: CheckoutState,
        progress: &mut Progress,
        event: Event,
    ) -> Result<CheckoutState, Refused<CheckoutState>> {
        let next = checkout.apply(event)?;
        Self::moved_on(&next, progress);
        Ok(next)
    }

    /// Takes the checkout's pure step.
    pub fn compute(
        &self,
        checkout: CheckoutState,
        progress: &mut Progress,
    ) -> Result<CheckoutState, Refused<CheckoutState>> {
        let next = checkout.compute()?;
        Self::moved_on(&next, progress);
        Ok(next)
    }

    /// The courier request has been sent by this incarnation.
    pub fn courier_requested(&self, progress: &mut Progress) {
        progress.courier_requested = true;
    }

    /// A new step starts with no failed attempts; a courier request matters only while its wait
    /// lasts.
    fn moved_on(next: &CheckoutState, progress: &mut Progress) {
        progress.attempts = 0;
        if next.courier_wait().is_none() {
            progress.courier_requested = false;
        }
    }

    /// Decides what follows a call of `command`: its reply moves the checkout on; a failure is
    /// retried after a backoff until a forward step runs out of attempts (then it gives up and
    /// the checkout compensates); a compensation and the courier notice are retried without end;
    /// a refusal for good ends a forward step (compensate), a compensation or the notice (raised
    /// for an operator) at once.
    pub fn after_call(
        &self,
        checkout: CheckoutState,
        progress: &mut Progress,
        command: &Command,
        result: Result<Event, CallError>,
    ) -> Result<AfterCall, Refused<CheckoutState>> {
        let compensating = command.is_compensation();
        let failure = match result {
            Ok(event) => return self.apply(checkout, progress, event).map(AfterCall::Moved),
            Err(CallError::Refused(detail)) => return self.give_up(checkout, progress, compensating, detail),
            Err(CallError::NotDone(detail) | CallError::Unknown(detail)) => detail,
        };
        progress.attempts = progress.attempts.saturating_add(1);
        let (limit, backoff) = if compensating {
            (self.policy.compensation_gives_up_after, self.policy.compensation)
        } else if past_no_return(command) {
            (None, self.policy.notice)
        } else {
            (Some(self.policy.max_attempts), self.policy.forward)
        };
        if limit.is_some_and(|limit| progress.attempts >= limit) {
            let detail = format!("gave up after {} attempts; the last: {failure}", progress.attempts);
            return self.give_up(checkout, progress, compensating, detail);
        }
        let delay_ms = backoff.delay_ms(progress.attempts, self.seed ^ id_hash(checkout.id().as_str()));
        Ok(AfterCall::Retry { checkout, delay_ms })
    }

    /// The event that ends what the checkout is waiting on when the host running it gives up
    /// (Step Functions, after a Task's retries, or when the courier wait times out): a courier
    /// wait ends as if its deadline had passed, since the host is the wait's timer; a forward
    /// step fails. `None` where giving up has nothing to end: a pure step, a compensation or the
    /// courier notice (those are never given up on), an ended checkout.
    pub fn abandon(&self, checkout: &CheckoutState, detail: String, now_ms: u64) -> Option<Event> {
        if let Some(wait) = checkout.courier_wait() {
            return Some(Event::DeadlinePassed { now_ms: now_ms.max(wait.deadline_ms) });
        }
        match checkout.next() {
            Next::Run(command) if !command.is_compensation() && !past_no_return(&command) => {
                Some(Event::StepFailed { detail })
            }
            _ => None,
        }
    }

    fn give_up(
        &self,
        checkout: CheckoutState,
        progress: &mut Progress,
        compensating: bool,
        detail: String,
    ) -> Result<AfterCall, Refused<CheckoutState>> {
        let event = if compensating { Event::CompensationRefused { detail } } else { Event::StepFailed { detail } };
        self.apply(checkout, progress, event).map(AfterCall::Moved)
    }
}
