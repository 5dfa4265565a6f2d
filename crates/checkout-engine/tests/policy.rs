//! The orchestration policy: retries and giving up, compensations that never give up, refusals
//! for good, the courier request once per incarnation, and the backoff.

use checkout_domain::protocol::{ChargeReceipt, StockReleased, StockReservation};
use checkout_domain::{
    CheckoutId, CheckoutState, Command, CourierId, Event, Money, Next, Order, Outcome, Phase, TaskToken,
};
use checkout_engine::{Action, AfterCall, Backoff, CallError, Engine, Policy, Progress};
use proptest::prelude::*;

fn start() -> CheckoutState {
    let order = Order::from_json(r#"{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":1}"#).unwrap();
    CheckoutState::start(CheckoutId::new("ck-1").unwrap(), order)
}

fn engine() -> Engine {
    Engine::new(Policy::default(), 42)
}

fn call(engine: &Engine, checkout: &CheckoutState, progress: &Progress) -> Command {
    match engine.next(checkout, progress) {
        Action::Call(command) => command,
        other => panic!("expected a call, got {other:?}"),
    }
}

/// Runs the checkout forward with clean replies until it waits for `stop`.
fn until(engine: &Engine, mut checkout: CheckoutState, stop: impl Fn(&Action) -> bool) -> CheckoutState {
    let mut progress = Progress::default();
    loop {
        let action = engine.next(&checkout, &progress);
        if stop(&action) {
            return checkout;
        }
        checkout = match action {
            Action::Compute => engine.compute(checkout, &mut progress).unwrap(),
            Action::OpenCourierWait => {
                let token = TaskToken::new("t-1").unwrap();
                engine.apply(checkout, &mut progress, Event::CourierWaitOpened { token }).unwrap()
            }
            Action::Call(Command::ReserveStock { .. }) => {
                let reply = Event::StockReserved(StockReservation { unit_price: Money::from_minor_units(30) });
                engine.apply(checkout, &mut progress, reply).unwrap()
            }
            Action::Call(Command::Charge { amount, .. }) => {
                let reply = Event::Charged { receipt: ChargeReceipt { amount }, now_ms: 0 };
                engine.apply(checkout, &mut progress, reply).unwrap()
            }
            other => panic!("no clean reply for {other:?}"),
        };
    }
}

#[test]
fn a_forward_step_is_retried_then_gives_up_and_compensates() {
    let engine = engine();
    let mut progress = Progress::default();
    let mut checkout = start();
    let command = call(&engine, &checkout, &progress);
    let mut delays = Vec::new();
    for failure in [CallError::Unknown("timeout".into()), CallError::NotDone("connection refused".into())] {
        match engine.after_call(checkout, &mut progress, &command, Err(failure)).unwrap() {
            AfterCall::Retry { checkout: same, delay_ms } => {
                delays.push(delay_ms);
                checkout = same;
            }
            moved => panic!("retried, not {moved:?}"),
        }
    }
    assert_eq!(progress.attempts, 2);
    assert!((50..=100).contains(&delays[0]) && (100..=200).contains(&delays[1]), "{delays:?}");
    let last = Err(CallError::Unknown("timeout".into()));
    let AfterCall::Moved(failed) = engine.after_call(checkout, &mut progress, &command, last).unwrap() else {
        panic!("the third failure gives up")
    };
    assert_eq!(failed.phase(), Phase::Compensating);
    assert!(failed.to_json().contains("gave up after 3 attempts; the last: timeout"), "{}", failed.to_json());
    assert_eq!(progress.attempts, 0, "the compensation starts with a clean slate");
}

#[test]
fn a_compensation_is_retried_without_end_and_its_backoff_is_capped() {
    let engine = engine();
    let mut progress = Progress::default();
    let checkout = start();
    let reserve = call(&engine, &checkout, &progress);
    let failed = engine.after_call(checkout, &mut progress, &reserve, Err(CallError::Refused("x".into()))).unwrap();
    let mut checkout = failed.checkout().clone();
    let release = call(&engine, &checkout, &progress);
    assert!(release.is_compensation());
    let cap = Policy::default().compensation.cap_ms;
    for attempt in 1..=1000 {
        let outcome = engine.after_call(checkout, &mut progress, &release, Err(CallError::Unknown("down".into())));
        let AfterCall::Retry { checkout: same, delay_ms } = outcome.unwrap() else {
            panic!("attempt {attempt}: a compensation never gives up")
        };
        assert!(delay_ms <= cap, "attempt {attempt}: {delay_ms} ms");
        checkout = same;
    }
    assert!(Backoff { first_ms: 200, cap_ms: cap }.delay_ms(1000, 42) >= cap / 2, "long outages wait near the cap");
}

#[test]
fn a_refusal_for_good_ends_a_step_at_once() {
    let engine = engine();
    let mut progress = Progress::default();
    let billing = until(&engine, start(), |a| matches!(a, Action::Call(Command::Charge { .. })));
    let charge = call(&engine, &billing, &progress);
    let declined = Err(CallError::Refused("card declined".into()));
    let failed = engine.after_call(billing, &mut progress, &charge, declined).unwrap();
    let refund = call(&engine, failed.checkout(), &progress);
    assert!(matches!(refund, Command::Refund { .. }));
    let closed = Err(CallError::Refused("card closed".into()));
    let refused = engine.after_call(failed.checkout().clone(), &mut progress, &refund, closed).unwrap();
    let AfterCall::Moved(mut checkout) = refused else { panic!("a refusal is not retried") };
    assert_eq!(checkout.unreturned().len(), 1, "the refused refund is named");
    let release = call(&engine, &checkout, &progress);
    assert!(matches!(release, Command::ReleaseStock { .. }), "the other compensations still run");
    checkout = engine.apply(checkout, &mut progress, Event::StockReleased(StockReleased { quantity: 1 })).unwrap();
    assert_eq!(engine.next(&checkout, &progress), Action::Compute);
    let end = engine.compute(checkout, &mut progress).unwrap();
    assert_eq!(engine.next(&end, &progress), Action::Finished(Outcome::NeedsOperator));
}

#[test]
fn the_courier_request_is_sent_once_per_incarnation() {
    let engine = engine();
    let waiting = until(&engine, start(), |a| matches!(a, Action::RequestCourier(_)));
    let mut progress = Progress::default();
    let Action::RequestCourier(request) = engine.next(&waiting, &progress) else { panic!() };
    engine.courier_requested(&mut progress);
    let deadline_ms = waiting.courier_wait().unwrap().deadline_ms;
    assert_eq!(engine.next(&waiting, &progress), Action::AwaitCourier { deadline_ms });
    let restarted = Progress::default();
    assert_eq!(engine.next(&waiting, &restarted), Action::RequestCourier(request), "a new incarnation asks again");
    let stale =
        Event::CourierAssigned { token: TaskToken::new("forged").unwrap(), courier: CourierId::new("c").unwrap() };
    let refused = engine.apply(waiting.clone(), &mut progress, stale).unwrap_err();
    assert_eq!(refused.state, waiting);
    assert!(progress.courier_requested, "a refused reply changes nothing");
    let timed_out = engine.apply(waiting, &mut progress, Event::DeadlinePassed { now_ms: deadline_ms }).unwrap();
    assert!(!progress.courier_requested, "the flag ends with the wait");
    assert!(matches!(timed_out.next(), Next::Run(Command::Refund { .. })));
}

#[test]
fn the_model_bound_on_compensations_gives_up_into_an_operator_case() {
    let policy = Policy { compensation_gives_up_after: Some(2), ..Policy::default() };
    let engine = Engine::new(policy, 1);
    let mut progress = Progress::default();
    let checkout = start();
    let reserve = call(&engine, &checkout, &progress);
    let failed = engine.after_call(checkout, &mut progress, &reserve, Err(CallError::Refused("x".into()))).unwrap();
    let release = call(&engine, failed.checkout(), &progress);
    let once =
        engine.after_call(failed.checkout().clone(), &mut progress, &release, Err(CallError::Unknown("a".into())));
    let twice = engine.after_call(
        once.unwrap().checkout().clone(),
        &mut progress,
        &release,
        Err(CallError::Unknown("b".into())),
    );
    let AfterCall::Moved(given_up) = twice.unwrap() else { panic!("the bound gives up") };
    assert_eq!(given_up.unreturned()[0].detail, "gave up after 2 attempts; the last: b");
}

#[test]
fn the_backoff_doubles_up_to_its_cap() {
    let backoff = Backoff { first_ms: 100, cap_ms: 1_000 };
    for (failures, ceiling) in [(1, 100), (2, 200), (3, 400), (4, 800), (5, 1_000), (6, 1_000)] {
        let delays: Vec<u64> = (0..1000).map(|seed| backoff.delay_ms(failures, seed)).collect();
        let (low, high) = (*delays.iter().min().unwrap(), *delays.iter().max().unwrap());
        assert!(low >= ceiling / 2 && low < ceiling / 2 + ceiling / 20, "{failures}: lowest {low}");
        assert!(high <= ceiling && high > ceiling - ceiling / 20, "{failures}: highest {high}");
    }
    assert_eq!(backoff.delay_ms(3, 9), backoff.delay_ms(3, 9), "the same seed waits the same");
    let spread: std::collections::BTreeSet<u64> = (0..50).map(|seed| backoff.delay_ms(4, seed)).collect();
    assert!(spread.len() > 20, "different seeds spread out: {spread:?}");
    let huge = Backoff { first_ms: u64::MAX, cap_ms: u64::MAX }.delay_ms(u32::MAX, 3);
    assert!(huge >= u64::MAX / 2, "no overflow at the extremes: {huge}");
}

proptest! {
    /// Every delay lies between half the capped exponential and all of it.
    #[test]
    fn delays_stay_within_half_and_all_of_the_ceiling(first in 1u64..10_000, cap in 1u64..1_000_000, failures in 1u32..80, seed: u64) {
        let ceiling = first.saturating_mul(1u64 << (failures - 1).min(63)).min(cap);
        let delay = Backoff { first_ms: first, cap_ms: cap }.delay_ms(failures, seed);
        prop_assert!(delay >= ceiling / 2 && delay <= ceiling, "{delay} outside [{}, {ceiling}]", ceiling / 2);
    }
}

#[test]
fn the_engine_reports_its_policy_and_each_retry_its_delay() {
    let policy = Policy { max_attempts: 5, ..Policy::default() };
    let engine = Engine::new(policy, 9);
    assert_eq!(engine.policy(), &policy);
    let mut progress = Progress::default();
    let checkout = start();
    let command = call(&engine, &checkout, &progress);
    let retry = engine.after_call(checkout, &mut progress, &command, Err(CallError::Unknown("x".into()))).unwrap();
    let AfterCall::Retry { delay_ms, .. } = &retry else { panic!("a first failure is retried") };
    assert_eq!(retry.delay_ms(), Some(*delay_ms));
    let first = policy.forward.first_ms;
    assert!((first / 2..=first).contains(delay_ms), "the policy's delay for a first failure: {delay_ms}");
    let reserved = Event::StockReserved(StockReservation { unit_price: Money::from_minor_units(30) });
    let moved = engine.after_call(retry.checkout().clone(), &mut progress, &command, Ok(reserved)).unwrap();
    assert_eq!(moved.delay_ms(), None);
}

/// The jitter spreads evenly: over many seeds, delays fill the range from half the ceiling to the
/// ceiling with no lean to either end (a hash that leaned would bunch retries together).
#[test]
fn the_jitter_spreads_evenly() {
    let backoff = Backoff { first_ms: 1_000, cap_ms: 1_000 };
    let delays: Vec<u64> = (0..4_000u64).map(|seed| backoff.delay_ms(1, seed)).collect();
    let mean = delays.iter().sum::<u64>() as f64 / delays.len() as f64;
    assert!((725.0..775.0).contains(&mean), "mean {mean}, expected about 750");
    let mut quarters = [0usize; 4];
    for delay in &delays {
        quarters[(((delay - 500) * 4) / 501) as usize] += 1;
    }
    assert!(quarters.iter().all(|&n| (850..1150).contains(&n)), "{quarters:?}");
    let low_bits: std::collections::BTreeSet<u64> = delays.iter().map(|d| d % 16).collect();
    assert_eq!(low_bits.len(), 16, "every low-order value occurs");
}

/// Checkouts of one runner that fail together (a store's outage) wait apart: each draws its
/// own jitter. (The engine's one seed gave every checkout the same delay, so all retried in step.)
#[test]
fn checkouts_failing_together_retry_apart() {
    for seed in [42, u64::MAX] {
        let engine = Engine::new(Policy::default(), seed);
        let delays: std::collections::BTreeSet<u64> = (0..100)
            .map(|n| {
                let id = CheckoutId::new(format!("ck-{n}")).unwrap();
                let placed = CheckoutState::start(id, start().order().clone());
                let mut progress = Progress::default();
                let command = call(&engine, &placed, &progress);
                let failed = Err(CallError::NotDone("the store is down".into()));
                engine.after_call(placed, &mut progress, &command, failed).unwrap().delay_ms().unwrap()
            })
            .collect();
        // The first retry waits 50 to 100 ms: 51 possible delays.
        assert!(delays.len() >= 30, "seed {seed:#x}: 100 checkouts drew only {} delays", delays.len());
    }
}

/// Each attempt of one checkout draws a jitter of its own, whatever the seed: the attempt count
/// is mixed into every bit the seed may set (a seed with its high bits set, combined with the
/// count by OR, drew the same jitter at every attempt).
#[test]
fn each_attempt_draws_its_own_jitter_whatever_the_seed() {
    let backoff = Backoff { first_ms: 1_000_000, cap_ms: u64::MAX };
    for seed in [0, 7, u64::MAX, 0xFFFF_FFFF_0000_0000] {
        let fractions: std::collections::BTreeSet<u64> = (1..=10u32)
            .map(|failures| {
                let ceiling = 1_000_000u64 << (failures - 1);
                let delay = backoff.delay_ms(failures, seed);
                (delay - ceiling / 2) * 100 / (ceiling - ceiling / 2)
            })
            .collect();
        assert!(fractions.len() >= 5, "seed {seed:#x}: 10 attempts drew jitters {fractions:?}");
    }
}

#[test]
fn a_host_that_gives_up_ends_the_wait_at_its_deadline_or_fails_the_step() {
    let engine = engine();
    // At the courier wait: the deadline passes, whenever the host gives up.
    let waiting = until(&engine, start(), |a| matches!(a, Action::RequestCourier(_)));
    let deadline = waiting.courier_wait().unwrap().deadline_ms;
    let event = engine.abandon(&waiting, "timed out".into(), 5).unwrap();
    assert_eq!(event, Event::DeadlinePassed { now_ms: deadline });
    let failed = waiting.apply(event).unwrap();
    assert_eq!(failed.phase(), Phase::Compensating, "the charge and the copies are owed back");

    // At a forward call: the step fails.
    let placed = start();
    let event = engine.abandon(&placed, "the function failed 3 times".into(), 5).unwrap();
    assert_eq!(event, Event::StepFailed { detail: "the function failed 3 times".into() });
    placed.apply(event).unwrap();

    // Compensating: nothing to give up on; the compensations go on.
    assert_eq!(engine.abandon(&failed, "again".into(), 5), None);
}

/// A checkout whose courier is assigned, as the engine drives it with clean replies.
fn assigned(engine: &Engine) -> CheckoutState {
    let waiting = until(engine, start(), |a| matches!(a, Action::RequestCourier(_)));
    let assigned =
        Event::CourierAssigned { token: TaskToken::new("t-1").unwrap(), courier: CourierId::new("c-1").unwrap() };
    engine.apply(waiting, &mut Progress::default(), assigned).unwrap()
}

/// The finding of issue 16: the notice went out and its reply was lost, then the next attempts
/// failed before they were sent; the engine gave up after `max_attempts` and refunded and
/// restocked an order a courier had been told to collect. Now the notice, past the point of no
/// return, is retried without end with its own backoff, and a host that gives up ends nothing.
#[test]
fn the_courier_notice_is_never_given_up_on() {
    let engine = engine();
    let policy = *engine.policy();
    let mut progress = Progress::default();
    let mut checkout = assigned(&engine);
    let notify = call(&engine, &checkout, &progress);
    assert!(matches!(notify, Command::NotifyCourier { .. }));
    let failures = std::iter::once(CallError::Unknown("the reply was lost".into()))
        .chain((0..50).map(|n| CallError::NotDone(format!("connection refused {n}"))));
    let mut delays = Vec::new();
    for failure in failures {
        match engine.after_call(checkout, &mut progress, &notify, Err(failure)).unwrap() {
            AfterCall::Retry { checkout: same, delay_ms } => {
                delays.push(delay_ms);
                checkout = same;
            }
            moved => panic!("the notice gave up after {} attempts: {moved:?}", progress.attempts),
        }
        assert_eq!(engine.abandon(&checkout, "the host gave up".into(), u64::MAX), None, "a host cannot end it");
    }
    assert_eq!(progress.attempts, 51);
    let first = policy.notice.first_ms;
    assert!((first / 2..=first).contains(&delays[0]), "the notice's own backoff: {delays:?}");
    assert!(delays.iter().all(|d| *d <= policy.notice.cap_ms), "capped: {delays:?}");
    assert!(delays[50] >= policy.notice.cap_ms / 2, "backed off to its cap: {delays:?}");
    let AfterCall::Moved(dispatched) =
        engine.after_call(checkout, &mut progress, &notify, Ok(Event::CourierNotified)).unwrap()
    else {
        panic!("the reply moves it on")
    };
    assert_eq!(engine.next(&dispatched, &progress), Action::Finished(Outcome::Dispatched));
}

/// A notice refused for good raises the checkout for an operator, holding everything: it never
/// starts a compensation.
#[test]
fn a_notice_refused_for_good_is_raised_not_compensated() {
    let engine = engine();
    let mut progress = Progress::default();
    let checkout = assigned(&engine);
    let notify = call(&engine, &checkout, &progress);
    let lost = engine.after_call(checkout, &mut progress, &notify, Err(CallError::Unknown("lost".into()))).unwrap();
    let refused = Err(CallError::Refused("the topic is gone".into()));
    let AfterCall::Moved(raised) = engine.after_call(lost.checkout().clone(), &mut progress, &notify, refused).unwrap()
    else {
        panic!("a refusal for good ends the notice at once")
    };
    assert_eq!(raised.phase(), Phase::NoticeUnconfirmed);
    assert_eq!(engine.next(&raised, &progress), Action::Finished(Outcome::NeedsOperator));
    assert!(raised.owes().is_empty() && raised.unreturned().is_empty(), "nothing is given back");
    assert!(raised.to_json().contains("the topic is gone"), "{}", raised.to_json());
}
