//! The erased checkout driven against the keyed stores: the happy path, rejections, every
//! compensation path, stale replies, and persistence at every step.

use checkout_domain::fencing::{Fence, Lease, Slot, Superseded};
use checkout_domain::protocol::StockReleased;
use checkout_domain::states::{Compensation, Returned, COURIER_WAIT_MS};
use checkout_domain::stores::Stores;
use checkout_domain::{
    BookId, CheckoutId, CheckoutRecord, CheckoutState, Command, CourierId, Effect, EffectKey, Event, Money, Next,
    Order, Outcome, Phase, Points, TaskToken, TransitionError, UserId,
};

fn order(quantity: u32, redeem: bool) -> Order {
    Order::from_json(&format!(
        r#"{{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":{quantity},"redeem":{redeem}}}"#
    ))
    .unwrap()
}

fn stores(copies: u32, points: u64) -> Stores {
    let mut stores = Stores::default();
    stores.inventory.add_book(BookId::new("b-1").unwrap(), copies, Money::from_minor_units(30)).unwrap();
    stores.points.open(UserId::new("u-1").unwrap(), points).unwrap();
    stores.wallets.open(UserId::new("u-1").unwrap(), 1_000).unwrap();
    stores
}

/// What the courier worker answers, if it is reached at all.
enum Courier {
    Assigns,
    Fails,
    NeverAnswers,
}

/// The token a runtime would issue for a courier wait: random, here written out.
fn issued_token() -> TaskToken {
    TaskToken::new("b7d2e9f04a1c").unwrap()
}

/// Runs a checkout to its end, persisting and reloading it after every step, and failing the
/// forward step named in `fail_at` for good.
fn run(
    state: CheckoutState,
    stores: &mut Stores,
    courier: Courier,
    fail_at: Option<&str>,
) -> (CheckoutState, Vec<String>) {
    run_refusing(state, stores, courier, fail_at, None)
}

/// [`run`], with the compensation named in `refuse` refused for good.
fn run_refusing(
    mut state: CheckoutState,
    stores: &mut Stores,
    courier: Courier,
    fail_at: Option<&str>,
    refuse: Option<&str>,
) -> (CheckoutState, Vec<String>) {
    let mut log = Vec::new();
    for _ in 0..50 {
        let json = state.to_json();
        assert_eq!(CheckoutState::from_json(&json).unwrap(), state, "persisted state reloads as it was: {json}");
        let tag = serde_json::from_str::<serde_json::Value>(&json).unwrap()["state"].clone();
        assert_eq!(tag, state.phase().to_string(), "the record's tag is the phase's name");
        let priced = [Phase::Priced, Phase::RedeemingPoints, Phase::Billing, Phase::PreparingOrder]
            .into_iter()
            .chain([Phase::NotifyingCourier, Phase::Dispatched, Phase::NoticeUnconfirmed]);
        assert_eq!(state.pricing().is_some(), priced.clone().any(|p| p == state.phase()), "{json}");
        assert_eq!(state.is_finished(), matches!(state.next(), Next::Finished(_)));
        let next = match state.next() {
            Next::Finished(_) => return (state, log),
            Next::Compute => state.compute().unwrap(),
            Next::OpenCourierWait => state.apply(Event::CourierWaitOpened { token: issued_token() }).unwrap(),
            Next::Run(command) => {
                log.push(command.name());
                let event = if fail_at == Some(command.name().as_str()) {
                    Event::StepFailed { detail: "failed for good".into() }
                } else if let Command::RequestCourier { token, deadline_ms, .. } = &command {
                    match courier {
                        Courier::Assigns => {
                            Event::CourierAssigned { token: token.clone(), courier: CourierId::new("c-1").unwrap() }
                        }
                        Courier::Fails => {
                            Event::CourierUnavailable { token: token.clone(), detail: "none free".into() }
                        }
                        Courier::NeverAnswers => Event::DeadlinePassed { now_ms: *deadline_ms },
                    }
                } else if let Command::NotifyCourier { .. } = &command {
                    Event::CourierNotified
                } else if let Some(refusal) = refuse.filter(|r| *r == command.name()) {
                    Event::CompensationRefused { detail: format!("{refusal}: the card is closed") }
                } else {
                    stores.perform(Fence::FIRST, &command, 1_000).unwrap().expect("a store command")
                };
                state.apply(event).unwrap()
            }
        };
        state = next;
    }
    panic!("checkout did not finish in 50 steps");
}

/// Runs the checkout against the stores, with no courier, until `stop` says it is where the
/// test wants it.
fn advance_until(
    mut state: CheckoutState,
    stores: &mut Stores,
    stop: impl Fn(&CheckoutState) -> bool,
) -> CheckoutState {
    while !stop(&state) {
        state = match state.next() {
            Next::Compute => state.compute().unwrap(),
            Next::OpenCourierWait => state.apply(Event::CourierWaitOpened { token: issued_token() }).unwrap(),
            Next::Run(command) => {
                state.apply(stores.perform(Fence::FIRST, &command, 0).unwrap().expect("a store command")).unwrap()
            }
            Next::Finished(outcome) => panic!("the checkout ended ({outcome:?}) before the wanted state"),
        };
    }
    state
}

fn checkout_id() -> CheckoutId {
    CheckoutId::new("ck-1").unwrap()
}

fn key(effect: Effect) -> EffectKey {
    EffectKey::new(&checkout_id(), effect)
}

#[test]
fn the_happy_path_dispatches_and_keeps_what_it_took() {
    let mut stores = stores(2, 10);
    let (end, log) = run(CheckoutState::start(checkout_id(), order(2, true)), &mut stores, Courier::Assigns, None);
    assert_eq!(end.next(), Next::Finished(Outcome::Dispatched));
    assert!(end.is_finished());
    assert_eq!(log, ["reserve-stock", "redeem-points", "charge", "request-courier", "notify-courier"]);
    assert_eq!(stores.inventory.stock.balance(&BookId::new("b-1").unwrap()), Some(0));
    assert_eq!(stores.points.held_by(&key(Effect::RedeemPoints)), 10);
    assert_eq!(stores.wallets.held_by(&key(Effect::Charge)), 60 - 10);
    assert_eq!(end.pricing().unwrap().amount_due, Money::from_minor_units(50));
}

#[test]
fn the_last_copy_can_be_sold() {
    let mut stores = stores(1, 0);
    let (end, _) = run(CheckoutState::start(checkout_id(), order(1, false)), &mut stores, Courier::Assigns, None);
    assert_eq!(end.next(), Next::Finished(Outcome::Dispatched));
}

#[test]
fn out_of_stock_ends_the_checkout_owing_nothing() {
    let mut stores = stores(1, 10);
    let (end, log) = run(CheckoutState::start(checkout_id(), order(2, true)), &mut stores, Courier::Assigns, None);
    assert_eq!(end.next(), Next::Finished(Outcome::Rejected));
    assert_eq!(log, ["reserve-stock"]);
    assert_eq!(stores.inventory.stock.balance(&BookId::new("b-1").unwrap()), Some(1));
}

#[test]
fn each_failure_point_runs_exactly_the_compensations_it_owes_in_reverse() {
    // What each failure gives back: the 2 copies, the 10 points if they were taken, and the
    // 60 - 10 charged if the charge went through (a step that failed for good took nothing).
    let all_back = Returned { stock: 2, points: Points::new(10), money: Money::from_minor_units(50) };
    let cases: [(Courier, Option<&str>, &[&str], Returned); 4] = [
        (
            Courier::Assigns,
            Some("redeem-points"),
            &["restore-points", "release-stock"],
            Returned { points: Points::ZERO, money: Money::ZERO, ..all_back },
        ),
        (
            Courier::Assigns,
            Some("charge"),
            &["refund", "restore-points", "release-stock"],
            Returned { money: Money::ZERO, ..all_back },
        ),
        (Courier::Fails, None, &["refund", "restore-points", "release-stock"], all_back),
        (Courier::NeverAnswers, None, &["refund", "restore-points", "release-stock"], all_back),
    ];
    for (courier, fail_at, owed, returned) in cases {
        let mut stores = stores(3, 10);
        let before = stores.clone();
        let (end, log) = run(CheckoutState::start(checkout_id(), order(2, true)), &mut stores, courier, fail_at);
        assert_eq!(end.next(), Next::Finished(Outcome::Compensated), "{fail_at:?}");
        let compensations: Vec<_> = log
            .iter()
            .skip_while(|c| !["refund", "restore-points", "release-stock"].contains(&c.as_str()))
            .cloned()
            .collect();
        assert_eq!(compensations, owed, "failing at {fail_at:?}");
        match end.record() {
            CheckoutRecord::Compensated { returned: given_back, .. } => assert_eq!(given_back, returned, "{fail_at:?}"),
            other => panic!("{fail_at:?}: ended as {other:?}"),
        }
        let book = BookId::new("b-1").unwrap();
        let user = UserId::new("u-1").unwrap();
        assert_eq!(stores.inventory.stock.balance(&book), before.inventory.stock.balance(&book));
        assert_eq!(stores.points.balance(&user), before.points.balance(&user));
        assert_eq!(stores.wallets.balance(&user), before.wallets.balance(&user));
    }
}

#[test]
fn a_failed_checkout_owes_the_holds_of_the_steps_it_passed() {
    let state = CheckoutState::start(checkout_id(), order(1, true));
    let reserved = state.apply(Event::StepFailed { detail: "x".into() }).unwrap();
    assert_eq!(reserved.owes(), [Compensation::ReleaseStock]);
}

#[test]
fn stale_and_foreign_courier_replies_change_nothing() {
    let mut stores = stores(1, 0);
    let state = advance_until(CheckoutState::start(checkout_id(), order(1, false)), &mut stores, |s| {
        s.courier_wait().is_some_and(|wait| wait.token.is_some())
    });
    let wait = state.courier_wait().unwrap();
    let (token, deadline) = (wait.token.unwrap(), wait.deadline_ms);
    assert_eq!(deadline, COURIER_WAIT_MS);
    assert_eq!(COURIER_WAIT_MS, 15 * 60 * 1000, "the courier gets 15 minutes from the charge (at 0 ms here)");
    let foreign =
        Event::CourierAssigned { token: TaskToken::new("other").unwrap(), courier: CourierId::new("c").unwrap() };
    let refused = state.clone().apply(foreign).unwrap_err();
    assert!(matches!(refused.error, TransitionError::WrongToken));
    assert_eq!(refused.state, state, "a refused reply hands the state back unchanged");
    let early = state.clone().apply(Event::DeadlinePassed { now_ms: deadline - 1 }).unwrap_err();
    assert!(matches!(early.error, TransitionError::NotYetDue { .. }));
    let assigned =
        state.apply(Event::CourierAssigned { token: token.clone(), courier: CourierId::new("c").unwrap() }).unwrap();
    let reply = Event::CourierAssigned { token, courier: CourierId::new("c").unwrap() };
    let duplicate = assigned.apply(reply.clone()).unwrap_err().error;
    assert_eq!(duplicate, TransitionError::WrongEvent { state: Phase::NotifyingCourier, event: Box::new(reply) });
    assert_eq!(duplicate.to_string(), "a checkout that is notifying-courier cannot take the event courier-assigned");
}

/// The courier token is whatever the runtime issued when the wait opened. The first version
/// made it `<id>:prepare-order`, so anyone who knew a checkout's id could forge the worker's reply
/// and have an order "assigned" to a courier of their choosing; now that guess is refused, and so
/// is any reply before the wait has a token, a second token for the same wait, and the error never
/// shows the real token to whoever sent the wrong one.
#[test]
fn only_the_token_the_runtime_issued_is_accepted() {
    let mut stores = stores(1, 0);
    let courier = || CourierId::new("c-forged").unwrap();
    let unopened = advance_until(CheckoutState::start(checkout_id(), order(1, false)), &mut stores, |s| {
        s.next() == Next::OpenCourierWait
    });
    let guessed = TaskToken::new(format!("{}:prepare-order", checkout_id())).unwrap();
    let early = unopened.clone().apply(Event::CourierAssigned { token: guessed.clone(), courier: courier() });
    assert!(matches!(early.unwrap_err().error, TransitionError::WrongToken), "no token before the wait opens");
    let open = unopened.apply(Event::CourierWaitOpened { token: issued_token() }).unwrap();
    let Next::Run(Command::RequestCourier { token: requested, .. }) = open.next() else {
        panic!("the request follows")
    };
    assert_eq!(requested, issued_token(), "the request carries the issued token");
    let forged = open.clone().apply(Event::CourierAssigned { token: guessed, courier: courier() }).unwrap_err();
    assert!(!forged.error.to_string().contains(issued_token().as_str()), "{}", forged.error);
    assert_eq!(forged.state, open);
    let reopened = open.clone().apply(Event::CourierWaitOpened { token: TaskToken::new("mine").unwrap() });
    assert_eq!(reopened.unwrap_err().error, TransitionError::WaitAlreadyOpen);
    let reloaded = CheckoutState::from_json(&open.to_json()).unwrap();
    assert_eq!(reloaded.courier_wait().unwrap().token, Some(issued_token()), "the token survives a restart");
}

/// A refund refused for good (a closed card) does not stop the other compensations, and the
/// checkout ends naming exactly what it could not give back, for an operator.
#[test]
fn a_refused_compensation_is_named_and_the_others_still_run() {
    let mut stores = stores(3, 10);
    let start = CheckoutState::start(checkout_id(), order(2, true));
    let (end, log) = run_refusing(start, &mut stores, Courier::Fails, None, Some("refund"));
    assert_eq!(end.next(), Next::Finished(Outcome::NeedsOperator));
    assert_eq!(log[log.len() - 3..], ["refund", "restore-points", "release-stock"]);
    let refused: Vec<_> = end.unreturned().iter().map(|u| u.compensation).collect();
    assert_eq!(refused, [Compensation::Refund]);
    assert_eq!(stores.wallets.held_by(&key(Effect::Charge)), 50, "the charge is still held, and named");
    assert_eq!(stores.points.held_by(&key(Effect::RedeemPoints)), 0, "points came back");
    assert_eq!(stores.inventory.stock.held_by(&key(Effect::ReserveStock)), 0, "stock came back");
    let json = end.to_json();
    assert!(json.contains(r#""state":"needs-operator""#) && json.contains("the card is closed"), "{json}");
    assert_eq!(CheckoutState::from_json(&json).unwrap(), end);
}

/// What was refused is named at every step after the refusal, not only at the end.
#[test]
fn a_refusal_is_named_from_the_moment_it_happens() {
    let failed = CheckoutState::start(checkout_id(), order(1, false))
        .apply(Event::StockReserved(checkout_domain::protocol::StockReservation {
            unit_price: Money::from_minor_units(30),
        }))
        .unwrap()
        .compute()
        .unwrap()
        .compute()
        .unwrap()
        .apply(Event::StepFailed { detail: "declined".into() })
        .unwrap();
    assert!(failed.unreturned().is_empty());
    let refused = failed.apply(Event::CompensationRefused { detail: "card closed".into() }).unwrap();
    assert_eq!(refused.owes(), [Compensation::ReleaseStock]);
    let names =
        |s: &CheckoutState| s.unreturned().iter().map(|u| (u.compensation, u.detail.clone())).collect::<Vec<_>>();
    assert_eq!(names(&refused), [(Compensation::Refund, "card closed".to_string())]);
    let settled = refused.apply(Event::StockReleased(StockReleased { quantity: 1 })).unwrap();
    assert_eq!(settled.next(), Next::Compute);
    assert_eq!(names(&settled), [(Compensation::Refund, "card closed".to_string())]);
    let end = settled.compute().unwrap();
    assert_eq!(end.next(), Next::Finished(Outcome::NeedsOperator));
    assert_eq!(names(&end), [(Compensation::Refund, "card closed".to_string())]);
}

/// Two incarnations of one checkout: A (a runner that is slow, not dead) and B, which claimed the
/// checkout after A. Once B has acted, the stores refuse A, and A can never save over B. Before
/// fencing both acted: A dispatched while B refunded and restocked the same order.
#[test]
fn a_superseded_incarnation_can_neither_act_nor_save() {
    let mut stores = stores(1, 0);
    let waiting = advance_until(CheckoutState::start(checkout_id(), order(1, false)), &mut stores, |s| {
        s.courier_wait().is_some_and(|wait| wait.token.is_some())
    });
    let assigned = Event::CourierAssigned { token: issued_token(), courier: CourierId::new("c-1").unwrap() };
    let state = waiting.clone().apply(assigned).unwrap();
    let mut slot = Slot::new(waiting.clone(), Lease::HELD_BY_HOST);
    let a = slot.fence();
    let b = slot.claim(Lease::HELD_BY_HOST).unwrap();
    assert!(b > a);
    // B's clock is ahead: it gives up on the courier and refunds; its refund raises the stores'
    // mark to B's fence.
    let deadline_ms = waiting.courier_wait().unwrap().deadline_ms;
    let failed = waiting.clone().apply(Event::DeadlinePassed { now_ms: deadline_ms }).unwrap();
    slot.save(b, failed.clone()).unwrap();
    let Next::Run(refund) = failed.next() else { panic!("a refund is owed") };
    stores.perform(b, &refund, 0).unwrap().unwrap();
    // A got the courier's answer and holds NotifyingCourier and fence a: nothing it asks for is
    // done, nothing it saves sticks.
    let Next::Run(notify) = state.next() else { panic!("A would notify") };
    let charge = Command::Charge {
        key: key(Effect::Charge),
        user: UserId::new("u-1").unwrap(),
        amount: Money::from_minor_units(30),
    };
    for command in [&notify, &charge] {
        assert_eq!(stores.perform(a, command, 0), Err(Superseded { held: a.get(), current: b.get() }));
    }
    let dispatched = state.apply(Event::CourierNotified).unwrap();
    assert_eq!(slot.save(a, dispatched), Err(Superseded { held: a.get(), current: b.get() }));
    assert_eq!(slot.record(), &failed, "B's record stands");
}

/// Past the point of no return: once the courier is assigned, a notice refused for good gives
/// nothing back (the courier may already have been told) and raises the checkout for an operator,
/// holding the copies, points and payment, and saying so in its record.
#[test]
fn a_refused_notice_keeps_everything_and_is_raised() {
    let mut stores = stores(3, 10);
    let (end, log) =
        run(CheckoutState::start(checkout_id(), order(2, true)), &mut stores, Courier::Assigns, Some("notify-courier"));
    assert_eq!(end.phase(), Phase::NoticeUnconfirmed);
    assert_eq!(end.next(), Next::Finished(Outcome::NeedsOperator));
    assert_eq!(log, ["reserve-stock", "redeem-points", "charge", "request-courier", "notify-courier"]);
    assert_eq!(stores.inventory.stock.held_by(&key(Effect::ReserveStock)), 2);
    assert_eq!(stores.points.held_by(&key(Effect::RedeemPoints)), 10);
    assert_eq!(stores.wallets.held_by(&key(Effect::Charge)), 50);
    let json = end.to_json();
    assert!(json.contains(r#""state":"notice-unconfirmed""#) && json.contains(r#""courier":"c-1""#), "{json}");
    assert!(json.contains("failed for good"), "the refusal is kept for the operator: {json}");
    assert_eq!(CheckoutState::from_json(&json).unwrap(), end);
    // Whatever else arrives, nothing moves it.
    for late in [Event::CourierNotified, Event::StepFailed { detail: "again".into() }] {
        assert!(end.clone().apply(late).is_err());
    }
}

#[test]
fn a_charge_for_the_wrong_amount_is_refused() {
    let mut stores = stores(1, 0);
    let state = advance_until(CheckoutState::start(checkout_id(), order(1, false)), &mut stores, |s| {
        matches!(s.next(), Next::Run(Command::Charge { .. }))
    });
    let receipt = checkout_domain::protocol::ChargeReceipt { amount: Money::from_minor_units(31) };
    let err = state.apply(Event::Charged { receipt, now_ms: 0 }).unwrap_err().error;
    assert_eq!(err.to_string(), "the payment service charged 31 minor units but 30 are due");
}

#[test]
fn a_total_that_overflows_compensates_instead_of_panicking() {
    let state = CheckoutState::start(checkout_id(), order(2, false));
    let reservation = checkout_domain::protocol::StockReservation { unit_price: Money::from_minor_units(u64::MAX) };
    let reserved = state.apply(Event::StockReserved(reservation)).unwrap();
    let failed = reserved.compute().unwrap();
    assert_eq!(failed.owes(), [Compensation::ReleaseStock]);
    assert!(failed.to_json().contains("total-overflow"), "{}", failed.to_json());
}

#[test]
fn a_release_may_give_back_nothing_but_never_more_than_the_order_took() {
    let failed = CheckoutState::start(checkout_id(), order(2, false))
        .apply(Event::StepFailed { detail: "lost".into() })
        .unwrap();
    let too_many = failed.clone().apply(Event::StockReleased(StockReleased { quantity: 3 })).unwrap_err();
    assert_eq!(too_many.error, TransitionError::ReturnedTooMuchStock { quantity: 2, returned: 3 });
    assert_eq!(too_many.state, failed);
    let none = failed.clone().apply(Event::StockReleased(StockReleased { quantity: 0 })).unwrap();
    assert_eq!(none.owes(), []);
    let all = failed.apply(Event::StockReleased(StockReleased { quantity: 2 })).unwrap();
    assert_eq!(all.owes(), []);
}

/// A compensation's receipt can give back no more than its hold took: a refund above the amount
/// due, or more points than the redemption took, is refused and the checkout stays as it was.
#[test]
fn a_refund_or_restore_beyond_what_was_taken_is_refused() {
    let mut stores = stores(2, 10);
    let billing = advance_until(CheckoutState::start(checkout_id(), order(2, true)), &mut stores, |s| {
        matches!(s.next(), Next::Run(Command::Charge { .. }))
    });
    let failed = billing.apply(Event::StepFailed { detail: "declined".into() }).unwrap();
    let refund =
        |amount| Event::Refunded(checkout_domain::protocol::RefundReceipt { amount: Money::from_minor_units(amount) });
    let too_much = failed.clone().apply(refund(51)).unwrap_err();
    assert_eq!(too_much.error, TransitionError::RefundedTooMuch { due: 50, refunded: 51 });
    assert_eq!(too_much.state, failed);
    let refunded = failed.apply(refund(50)).unwrap();
    let restore =
        |points| Event::PointsRestored(checkout_domain::protocol::PointsRestored { points: Points::new(points) });
    let too_many = refunded.clone().apply(restore(11)).unwrap_err();
    assert_eq!(too_many.error, TransitionError::RestoredTooManyPoints { cap: 10, restored: 11 });
    assert_eq!(too_many.error.to_string(), "the points service restored 11 points but the order took at most 10");
    assert!(refunded.apply(restore(10)).is_ok());
}

/// Two checkouts of orders with one id (a resubmission after the first ended) share no effect:
/// each takes its own stock and pays its own charge, because keys derive from the checkout's id.
/// With keys derived from the order id, the second was dispatched on the first one's replayed
/// charge and reservation: shipped without paying, stock not taken.
#[test]
fn two_checkouts_of_one_order_id_share_no_effect() {
    let mut stores = stores(2, 0);
    let first = CheckoutState::start(CheckoutId::new("ck-1").unwrap(), order(1, false));
    let (first, _) = run(first, &mut stores, Courier::Assigns, None);
    let second = CheckoutState::start(CheckoutId::new("ck-2").unwrap(), order(1, false));
    let (second, _) = run(second, &mut stores, Courier::Assigns, None);
    assert_eq!(
        (first.next(), second.next()),
        (Next::Finished(Outcome::Dispatched), Next::Finished(Outcome::Dispatched))
    );
    assert_eq!(stores.inventory.stock.balance(&BookId::new("b-1").unwrap()), Some(0), "each took its copy");
    assert_eq!(stores.wallets.balance(&UserId::new("u-1").unwrap()), Some(1_000 - 2 * 30), "each paid");
    for ck in ["ck-1", "ck-2"] {
        assert_eq!(stores.wallets.held_by(&EffectKey::new(&CheckoutId::new(ck).unwrap(), Effect::Charge)), 30);
    }
}
