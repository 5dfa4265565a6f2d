//! Driving checkouts: the engine's decisions carried out against a shop. One task per checkout
//! claims it, then asks the engine what to do, does it, saves the result under its fence, and
//! journals the step, until the checkout ends or a newer incarnation takes it over. Courier
//! replies reach the waiting task by their token; the deadline is a timer.
//!
//! This is the one drive loop: the `checkout` runner drives with it, the Lambda step function
//! drives with it ([`Driver::drive_hosted`]), and the model of the Step Functions state machine
//! runs it over the in-memory shop, in a [`World`] of its own making.

pub mod courier;
mod drive_all;
pub mod ids;
mod intervention;
pub mod leases;
mod replies;
mod telemetry;
pub mod world;

pub use drive_all::drive_all;
pub use intervention::Intervention;
use replies::Mailboxes;
pub use replies::MAX_EARLY;
use telemetry::CallResult;

use std::sync::{Arc, Mutex};

use checkout_domain::fencing::{Fence, Lease};
use checkout_domain::{CheckoutId, CheckoutState, Command, CourierId, Event, Outcome, TaskToken};
use checkout_engine::{Action, AfterCall, CallError, Engine, Progress};
use checkout_ports::{perform, Clock, CourierRequest, JournalEntry, PortError, SaveError, Shop};
use tokio::sync::mpsc;
use tracing::Instrument;

use crate::world::RealWorld;

/// What a drive takes from outside besides the shop: the time, how long its waits really last,
/// and identities nobody can guess. [`RealWorld`] is the real one; a model checker brings one
/// that is the same in every run.
pub trait World: Clock + Send + Sync + 'static {
    /// How long to really wait for `ms` of this world's time to pass.
    fn real(&self, ms: u64) -> std::time::Duration;
    /// A courier wait token nobody can guess.
    fn mint_token(&self) -> TaskToken;
    /// A checkout id nobody can have used.
    fn fresh_checkout_id(&self) -> CheckoutId;
}

/// Why a checkout stopped being driven before it ended.
#[derive(Debug, thiserror::Error)]
pub enum DriveError {
    #[error("no checkout {0}")]
    Missing(CheckoutId),
    /// Another incarnation claimed the checkout; it goes on there.
    #[error("checkout {0} was claimed by another orchestrator")]
    Superseded(CheckoutId),
    #[error("checkout {id} refused the result of its own step: {detail}")]
    Refused { id: CheckoutId, detail: String },
}

/// The courier worker's answer, as it arrives (from the in-process worker, or over HTTP).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CourierAnswer {
    Assigned(CourierId),
    Unavailable(String),
}

/// Drives checkouts of one shop.
pub struct Driver<S: Shop, W: World = RealWorld> {
    shop: Arc<S>,
    engine: Engine,
    clock: W,
    mailboxes: Mutex<Mailboxes>,
    /// Wakes whoever waits for a request to be on the queue (`courier_request_sent`).
    courier_sent: tokio::sync::Notify,
    /// Where the courier requests this runner sends are handed to an in-process worker, if one
    /// listens (see [`Driver::hand_courier_requests`]).
    handoff: Mutex<Option<mpsc::UnboundedSender<CourierRequest>>>,
    /// How long a claim holds a checkout without renewal, in this runner's clock's milliseconds.
    lease_ms: u64,
    /// The checkouts this runner drives, whose leases it renews (see [`leases`]).
    held: leases::Held,
    /// Whether the last write this runner made was refused by the shop's storage.
    writes_failing: std::sync::atomic::AtomicBool,
}

impl<S: Shop, W: World> Driver<S, W> {
    pub fn new(shop: Arc<S>, engine: Engine, clock: W) -> Driver<S, W> {
        Driver {
            shop,
            engine,
            clock,
            mailboxes: Mutex::default(),
            courier_sent: tokio::sync::Notify::new(),
            handoff: Mutex::default(),
            lease_ms: leases::DEFAULT_LEASE_MS,
            held: leases::Held::default(),
            writes_failing: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Whether the shop's storage refused this runner's last write (a full disk, a lost
    /// database): checkouts wait, trying again, until it takes writes again.
    pub fn writes_failing(&self) -> bool {
        self.writes_failing.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn wrote(&self, ok: bool) {
        self.writes_failing.store(!ok, std::sync::atomic::Ordering::Relaxed);
    }

    /// Holds checkouts under leases of `ms` of this runner's clock (see [`leases`]).
    pub fn with_lease_ms(mut self, ms: u64) -> Driver<S, W> {
        self.lease_ms = ms.max(1);
        self
    }

    pub fn shop(&self) -> &Arc<S> {
        &self.shop
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn clock(&self) -> &W {
        &self.clock
    }

    /// Waits until a courier request was sent, or `within` has passed.
    pub async fn courier_request_sent(&self, within: std::time::Duration) {
        let _ = tokio::time::timeout(within, self.courier_sent.notified()).await;
    }

    /// For a courier worker in this process: each courier request this runner sends from now
    /// on, handed over once it is on the queue, so that the worker need not read the queue back
    /// to learn of it. The queue still holds it (for a worker elsewhere, or after a restart): a
    /// worker reading both gets some requests twice, which the queue's at-least-once contract
    /// allows and a checkout's wait shrugs off. A second call replaces the first listener.
    pub fn hand_courier_requests(&self) -> mpsc::UnboundedReceiver<CourierRequest> {
        let (sender, receiver) = mpsc::unbounded_channel();
        *self.handoff.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(sender);
        receiver
    }

    fn hand_off(&self, command: &Command) {
        let mut handoff = self.handoff.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let (Some(listener), Some(request)) = (handoff.as_ref(), CourierRequest::of(command)) {
            if listener.send(request).is_err() {
                // The worker has stopped: nobody to hand requests to.
                *handoff = None;
            }
        }
    }

    /// Claims checkout `id`, whoever holds it, and drives it to its end.
    pub async fn drive(&self, id: &CheckoutId) -> Result<Outcome, DriveError> {
        let (fence, checkout) = self.claim(id, false).await?;
        self.drive_claimed(fence, checkout).await
    }

    /// Drives a checkout this runner has just admitted (under [`Driver::lease`]): the admission
    /// was its claim ([`Fence::FIRST`]), so it saves a commit by not claiming again. Should
    /// another runner claim it meanwhile, this one's first save is refused and it stops.
    pub async fn drive_admitted(&self, checkout: CheckoutState) -> Result<Outcome, DriveError> {
        self.drive_claimed(Fence::FIRST, checkout).await
    }

    /// Drives a checkout this runner has claimed under `fence` (admitted, or taken over) to its
    /// end.
    pub async fn drive_claimed(&self, fence: Fence, checkout: CheckoutState) -> Result<Outcome, DriveError> {
        let id = checkout.id().clone();
        ended(&id, self.drive_from(fence, checkout, false, None).await?)
    }

    /// For a host that sends the courier request and keeps the wait itself (Step Functions):
    /// claims checkout `id`, first gives it the host's news (`news`, from the checkout as saved
    /// and the time: the courier's answer, or the end of the wait), then drives it until it
    /// ends or its courier request is due, which it leaves to the host. News that no longer
    /// applies (a retried invocation's, taken already) is journaled as ignored.
    pub async fn drive_hosted(
        &self,
        id: &CheckoutId,
        news: impl FnOnce(&CheckoutState, u64) -> Option<(&'static str, Event)>,
    ) -> Result<Pause, DriveError> {
        let (fence, checkout) = self.claim(id, true).await?;
        let news = news(&checkout, self.clock.now_ms());
        self.drive_from(fence, checkout, true, news).await
    }

    /// Claims checkout `id`, waiting out storage that fails (a locked or full database), as
    /// saves do: the checkout is not given up on. A host's claim is held by the host, which
    /// supervises it, so no runner's sweep takes it over.
    async fn claim(&self, id: &CheckoutId, hosted: bool) -> Result<(Fence, CheckoutState), DriveError> {
        let mut failures = 0;
        let claimed = loop {
            let lease = if hosted { Lease::HELD_BY_HOST } else { self.lease() };
            let claimed = self.shop.claim(id, lease).await;
            self.wrote(claimed.is_ok());
            match claimed {
                Ok(claimed) => break claimed,
                Err(e) => {
                    failures += 1;
                    tracing::warn!(checkout = %id, error = %e, "claiming failed; trying again");
                    tokio::time::sleep(self.clock.real(self.engine.policy().compensation.delay_ms(failures, 0))).await;
                }
            }
        };
        claimed.ok_or_else(|| DriveError::Missing(id.clone()))
    }

    async fn drive_from(
        &self,
        fence: Fence,
        checkout: CheckoutState,
        hosted: bool,
        news: Option<(&'static str, Event)>,
    ) -> Result<Pause, DriveError> {
        let _in_flight = telemetry::InFlight::start();
        // Counted once, by the drive that ends it: not again by one that finds it ended.
        let ended_before = checkout.is_finished();
        // A host keeps its own claims (and their leases): only a runner's own are renewed.
        if !hosted {
            self.held.hold(checkout.id(), fence);
        }
        // One span per drive of a checkout, its steps' spans inside it: what a trace shows. Ids,
        // never a token (the wait's token is a secret; it is in no field). At debug: made only
        // when a subscriber wants them (traces exported, or `CHECKOUT_LOG=debug`), so a shop
        // that exports none pays a check per span, not the span.
        let span = tracing::debug_span!(
            "checkout",
            checkout = %checkout.id(),
            order = %checkout.order().id(),
            from = %checkout.phase(),
            to = tracing::field::Empty,
        );
        let mut drive = Drive::new(self, fence, checkout, hosted);
        let outcome = async {
            match news {
                Some((step, event)) => match drive.take_news(step, event).await {
                    Ok(()) => drive.run().await,
                    Err(e) => Err(e),
                },
                None => drive.run().await,
            }
        }
        .instrument(span.clone())
        .await;
        span.record("to", tracing::field::display(drive.checkout.phase()));
        if let Some((token, _)) = drive.inbox.take() {
            self.stop_listening(&token);
        }
        drive.flush_journal().await;
        if !hosted {
            self.held.release(&drive.id, fence);
        }
        if let (Ok(Pause::Ended(ended)), false) = (&outcome, ended_before) {
            telemetry::ended(*ended);
        }
        outcome
    }
}

/// Where a drive stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pause {
    /// The checkout ended.
    Ended(Outcome),
    /// The checkout waits for a courier, and the request under `token` is the host's to send.
    CourierDue { token: TaskToken, deadline_ms: u64 },
}

/// The outcome of a drive that sends its own courier requests, so never leaves one due.
fn ended(id: &CheckoutId, pause: Pause) -> Result<Outcome, DriveError> {
    match pause {
        Pause::Ended(outcome) => Ok(outcome),
        Pause::CourierDue { .. } => Err(DriveError::Refused {
            id: id.clone(),
            detail: "the drive stopped at a courier request only a host sends".into(),
        }),
    }
}

/// One incarnation driving one checkout.
struct Drive<'r, S: Shop, W: World> {
    runner: &'r Driver<S, W>,
    id: CheckoutId,
    fence: Fence,
    checkout: CheckoutState,
    progress: Progress,
    /// The courier wait being listened to, and where its replies arrive.
    inbox: Option<(TaskToken, mpsc::UnboundedReceiver<Event>)>,
    /// Journal entries of steps that saved nothing (failed attempts, a sent request, an ignored
    /// reply), written with the next save rather than each on a commit of its own.
    unsaved: Vec<JournalEntry>,
    /// Whether the host sends the courier request and keeps the wait (see
    /// [`Driver::drive_hosted`]).
    hosted: bool,
}

impl<'r, S: Shop, W: World> Drive<'r, S, W> {
    fn new(runner: &'r Driver<S, W>, fence: Fence, checkout: CheckoutState, hosted: bool) -> Drive<'r, S, W> {
        let id = checkout.id().clone();
        Drive { runner, id, fence, checkout, progress: Progress::default(), inbox: None, unsaved: Vec::new(), hosted }
    }

    /// Takes news from the host: saved if the checkout takes it, journaled as ignored if not.
    async fn take_news(&mut self, step: &str, event: Event) -> Result<(), DriveError> {
        let name = event.name();
        self.offer(step, event, name, "ignored").await.map(|_| ())
    }

    /// Offers the checkout an event from outside its own commands (a host's news, a courier's
    /// answer, a cancel): saved, with `taken` as the step's result, if the checkout takes it; if
    /// not, journaled as `{refused}: <why>`, nothing else changed, and the reason handed back.
    async fn offer(
        &mut self,
        step: &str,
        event: Event,
        taken: String,
        refused: &str,
    ) -> Result<Option<checkout_domain::TransitionError>, DriveError> {
        match self.runner.engine.apply(self.checkout.clone(), &mut self.progress, event) {
            Ok(next) => self.save(next, step, taken).await.map(|()| None),
            Err(refusal) => {
                self.journal(step, format!("{refused}: {}", refusal.error), 1).await;
                Ok(Some(refusal.error))
            }
        }
    }

    async fn run(&mut self) -> Result<Pause, DriveError> {
        let engine = &self.runner.engine;
        loop {
            match engine.next(&self.checkout, &self.progress) {
                Action::Finished(outcome) => return Ok(Pause::Ended(outcome)),
                Action::RequestCourier(Command::RequestCourier { token, deadline_ms, .. }) if self.hosted => {
                    return Ok(Pause::CourierDue { token, deadline_ms });
                }
                Action::Compute => {
                    let next =
                        engine.compute(self.checkout.clone(), &mut self.progress).map_err(|r| self.refused(r.error))?;
                    self.save(next, "compute", "computed".into()).await?;
                }
                Action::OpenCourierWait => {
                    let event = Event::CourierWaitOpened { token: self.runner.clock.mint_token() };
                    let next = engine
                        .apply(self.checkout.clone(), &mut self.progress, event)
                        .map_err(|r| self.refused(r.error))?;
                    self.save(next, "open-courier-wait", "token issued".into()).await?;
                }
                Action::Call(command) => {
                    let now = self.runner.clock.now_ms();
                    let called = std::time::Instant::now();
                    let attempt = self.progress.attempts + 1;
                    let span = tracing::debug_span!("step", command = %command.name(), attempt, result = tracing::field::Empty);
                    let performed =
                        perform(self.runner.shop.adapters(), self.fence, &command, now).instrument(span.clone()).await;
                    let result = match performed {
                        Ok(Some(event)) => Ok(event),
                        Ok(None) => Err(CallError::Refused("the command had no answer".into())),
                        Err(PortError::Call(e)) => Err(e),
                        Err(PortError::Superseded(_)) => return Err(DriveError::Superseded(self.id.clone())),
                    };
                    let outcome = match &result {
                        Ok(event) => event.name(),
                        Err(e) => e.to_string(),
                    };
                    span.record("result", outcome.as_str());
                    // A store may answer a failure for good (a decline, a closed account) as an event.
                    let succeeded = matches!(
                        &result,
                        Ok(event) if !matches!(event, Event::StepFailed { .. } | Event::CompensationRefused { .. })
                    );
                    let after = engine
                        .after_call(self.checkout.clone(), &mut self.progress, &command, result)
                        .map_err(|r| self.refused(r.error))?;
                    match after {
                        AfterCall::Moved(next) => {
                            // Moved without success: the call was refused for good, or given up.
                            let result = if succeeded { CallResult::Ok } else { CallResult::Failed };
                            let name = command.name();
                            telemetry::call(&command, &name, called.elapsed(), result);
                            self.save_attempt(next, &name, outcome, attempt).await?
                        }
                        AfterCall::Retry { delay_ms, .. } => {
                            let name = command.name();
                            telemetry::call(&command, &name, called.elapsed(), CallResult::Retry);
                            self.journal(&name, outcome, attempt).await;
                            tokio::time::sleep(self.runner.clock.real(delay_ms)).await;
                        }
                    }
                }
                Action::RequestCourier(command) => {
                    self.listen_to_wait();
                    match perform(self.runner.shop.adapters(), self.fence, &command, self.runner.clock.now_ms()).await {
                        Ok(_) => {
                            engine.courier_requested(&mut self.progress);
                            self.runner.hand_off(&command);
                            self.runner.courier_sent.notify_one();
                            self.journal("request-courier", "sent".into(), 1).await;
                        }
                        Err(PortError::Superseded(_)) => return Err(DriveError::Superseded(self.id.clone())),
                        Err(PortError::Call(e)) => {
                            self.journal("request-courier", e.to_string(), 1).await;
                            tokio::time::sleep(self.runner.clock.real(engine.policy().forward.first_ms)).await;
                        }
                    }
                }
                Action::AwaitCourier { deadline_ms } => self.await_courier(deadline_ms).await?,
            }
        }
    }

    fn refused(&self, error: checkout_domain::TransitionError) -> DriveError {
        DriveError::Refused { id: self.id.clone(), detail: error.to_string() }
    }

    fn listen_to_wait(&mut self) {
        let token = self.checkout.courier_wait().and_then(|wait| wait.token);
        match (token, &self.inbox) {
            (Some(token), Some((listening, _))) if *listening == token => {}
            (Some(token), _) => {
                let receiver = self.runner.listen(&token);
                self.inbox = Some((token, receiver));
            }
            (None, _) => {}
        }
    }

    /// Waits for the worker's reply or the deadline, whichever comes first, and takes it.
    async fn await_courier(&mut self, deadline_ms: u64) -> Result<(), DriveError> {
        self.listen_to_wait();
        let waited = std::time::Instant::now();
        let remaining = deadline_ms.saturating_sub(self.runner.clock.now_ms());
        let (step, event) = {
            let (_, inbox) = self.inbox.as_mut().expect("listening while waiting");
            tokio::select! {
                reply = inbox.recv() => match reply {
                    Some(event) => ("courier-reply", event),
                    None => ("deadline", Event::DeadlinePassed { now_ms: deadline_ms }),
                },
                () = tokio::time::sleep(self.runner.clock.real(remaining)) => {
                    ("deadline", Event::DeadlinePassed { now_ms: self.runner.clock.now_ms().max(deadline_ms) })
                }
            }
        };
        let (name, answer) = (event.name(), telemetry::courier_answer(&event));
        // A reply that is not this wait's (forged, stale) changes nothing; keep waiting.
        let refused = self.offer(step, event, name, "ignored").await?;
        telemetry::courier_waited(if refused.is_some() { "ignored" } else { answer }, waited.elapsed());
        if refused.is_none() {
            if let Some((token, _)) = self.inbox.take() {
                self.runner.stop_listening(&token);
            }
        }
        Ok(())
    }

    async fn save(&mut self, next: CheckoutState, step: &str, outcome: String) -> Result<(), DriveError> {
        self.save_attempt(next, step, outcome, 1).await
    }

    /// Saves the next state under this incarnation's fence, with the step's journal entry,
    /// retrying a storage failure until it goes through: the step is not done until it is saved.
    /// The pure steps due after it (pricing, routing, closing, opening the courier wait) are
    /// taken first and saved with it: nothing outside the checkout sees the states in between,
    /// which is the reduction the model checker shows changes no verdict.
    async fn save_attempt(
        &mut self,
        mut next: CheckoutState,
        step: &str,
        outcome: String,
        attempt: u32,
    ) -> Result<(), DriveError> {
        let now = self.runner.clock.now_ms();
        let entry = |step: &str, outcome: String, checkout: &CheckoutState, attempt| JournalEntry {
            at_ms: now,
            step: step.to_string(),
            outcome,
            phase: checkout.phase().to_string(),
            attempt,
        };
        let mut steps = self.unsaved.clone();
        steps.push(entry(step, outcome, &next, attempt));
        let engine = &self.runner.engine;
        loop {
            let (pure, result) = match engine.next(&next, &self.progress) {
                Action::Compute => ("compute", engine.compute(next.clone(), &mut self.progress)),
                Action::OpenCourierWait => {
                    let event = Event::CourierWaitOpened { token: self.runner.clock.mint_token() };
                    ("open-courier-wait", engine.apply(next.clone(), &mut self.progress, event))
                }
                _ => break,
            };
            next = result.map_err(|r| self.refused(r.error))?;
            steps.push(entry(pure, "done".into(), &next, 1));
        }
        let mut failures = 0;
        loop {
            let saved = self.runner.shop.save(&self.id, self.fence, &next, &steps).await;
            self.runner.wrote(!matches!(saved, Err(SaveError::Storage(_))));
            match saved {
                Ok(()) => break,
                Err(SaveError::Superseded(_)) => return Err(DriveError::Superseded(self.id.clone())),
                Err(SaveError::Missing(id)) => return Err(DriveError::Missing(id)),
                Err(SaveError::Storage(e)) => {
                    failures += 1;
                    tracing::warn!(checkout = %self.id, error = %e, "saving failed; trying again");
                    let delay = self.runner.engine.policy().compensation.delay_ms(failures, 0);
                    tokio::time::sleep(self.runner.clock.real(delay)).await;
                }
            }
        }
        for step in &steps {
            tracing::debug!(
                checkout = %self.id,
                step = %step.step,
                outcome = %step.outcome,
                phase = %step.phase,
                attempt = step.attempt,
                "step saved"
            );
        }
        self.checkout = next;
        self.unsaved.clear();
        Ok(())
    }

    /// Journals a step that saved nothing (a failed attempt, a sent request, an ignored reply)
    /// with the next save. A crash before that save loses these lines of history, never a step.
    async fn journal(&mut self, step: &str, outcome: String, attempt: u32) {
        self.unsaved.push(JournalEntry {
            at_ms: self.runner.clock.now_ms(),
            step: step.to_string(),
            outcome,
            phase: self.checkout.phase().to_string(),
            attempt,
        });
    }

    /// Writes what no save took with it, when the checkout stops being driven; a journal that
    /// cannot be written loses only history.
    async fn flush_journal(&mut self) {
        for entry in std::mem::take(&mut self.unsaved) {
            if let Err(e) = self.runner.shop.record(&self.id, entry).await {
                tracing::warn!(checkout = %self.id, error = %e, "the journal could not record a step");
            }
        }
    }
}
