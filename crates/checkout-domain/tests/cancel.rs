//! A customer's cancel against the keyed stores: honoured at every step before the point of no
//! return (everything given back, also what a step in flight took or takes later), refused with
//! its reason from a courier's assignment on, and refused as nothing to cancel once a checkout
//! has failed or ended.

use checkout_domain::fencing::Fence;
use checkout_domain::states::FailureCause;
use checkout_domain::stores::Stores;
use checkout_domain::{
    BookId, CheckoutId, CheckoutRecord, CheckoutState, Command, CourierId, Event, Money, Next, Order, Outcome, Phase,
    TaskToken, TransitionError, UserId,
};

const COPIES: u32 = 3;
const POINTS: u64 = 10;
const FUNDS: u64 = 1_000;

fn order(redeem: bool) -> Order {
    Order::from_json(&format!(r#"{{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":2,"redeem":{redeem}}}"#))
        .unwrap()
}

fn stores() -> Stores {
    let mut stores = Stores::default();
    stores.inventory.add_book(book(), COPIES, Money::from_minor_units(30)).unwrap();
    stores.points.open(user(), POINTS).unwrap();
    stores.wallets.open(user(), FUNDS).unwrap();
    stores
}

fn book() -> BookId {
    BookId::new("b-1").unwrap()
}

fn user() -> UserId {
    UserId::new("u-1").unwrap()
}

fn token() -> TaskToken {
    TaskToken::new("0f9c2b7e51d4").unwrap()
}

fn start(redeem: bool) -> CheckoutState {
    CheckoutState::start(CheckoutId::new("ck-1").unwrap(), order(redeem))
}

/// Whether the stores hold exactly what they started with.
fn untouched(stores: &Stores) -> bool {
    stores.inventory.stock.balance(&book()) == Some(u64::from(COPIES))
        && stores.points.balance(&user()) == Some(POINTS)
        && stores.wallets.balance(&user()) == Some(FUNDS)
}

/// Takes one step of the checkout against the stores; a courier request is answered by `courier`.
fn step(state: CheckoutState, stores: &mut Stores, courier: &CourierId) -> CheckoutState {
    match state.next() {
        Next::Compute => state.compute().unwrap(),
        Next::OpenCourierWait => state.apply(Event::CourierWaitOpened { token: token() }).unwrap(),
        Next::Run(Command::RequestCourier { token, .. }) => {
            state.apply(Event::CourierAssigned { token, courier: courier.clone() }).unwrap()
        }
        Next::Run(Command::NotifyCourier { .. }) => state.apply(Event::CourierNotified).unwrap(),
        Next::Run(command) => state.apply(stores.perform(Fence::FIRST, &command, 0).unwrap().unwrap()).unwrap(),
        Next::Finished(outcome) => panic!("the checkout already ended ({outcome:?})"),
    }
}

fn advance_to(mut state: CheckoutState, stores: &mut Stores, phase: Phase) -> CheckoutState {
    let courier = CourierId::new("c-1").unwrap();
    while state.phase() != phase {
        state = step(state, stores, &courier);
    }
    state
}

fn run_to_end(mut state: CheckoutState, stores: &mut Stores) -> CheckoutState {
    let courier = CourierId::new("c-1").unwrap();
    for _ in 0..20 {
        if state.is_finished() {
            return state;
        }
        // Every step survives a restart: the record reloads as the state it was.
        state = CheckoutState::from_json(&state.to_json()).unwrap();
        state = step(state, stores, &courier);
    }
    panic!("the checkout did not end in 20 steps")
}

fn cause(state: &CheckoutState) -> FailureCause {
    match state.record() {
        CheckoutRecord::Compensating { cause, .. } | CheckoutRecord::Compensated { cause, .. } => cause,
        other => panic!("not a failed checkout: {other:?}"),
    }
}

#[test]
fn a_cancel_before_the_point_of_no_return_gives_everything_back() {
    for redeem in [false, true] {
        let phases = [Phase::Placed, Phase::RedeemingPoints, Phase::Billing, Phase::PreparingOrder];
        for phase in phases.into_iter().filter(|p| redeem || *p != Phase::RedeemingPoints) {
            let mut stores = stores();
            let at = advance_to(start(redeem), &mut stores, phase);
            let cancelled = at.apply(Event::Cancel).unwrap();
            assert_eq!(cancelled.phase(), Phase::Compensating, "cancelled while {phase}");
            assert_eq!(cause(&cancelled), FailureCause::Cancelled { at: phase });
            let end = run_to_end(cancelled, &mut stores);
            assert_eq!(end.next(), Next::Finished(Outcome::Compensated), "cancelled while {phase}");
            assert!(untouched(&stores), "cancelled while {phase}, redeeming {redeem}: {stores:?}");
        }
    }
}

#[test]
fn a_step_whose_reply_never_came_is_given_back_after_a_cancel() {
    // The reservation, the redemption and the charge each went through, but the checkout was
    // cancelled before their replies came back: the keyed compensations find and return them.
    for phase in [Phase::Placed, Phase::RedeemingPoints, Phase::Billing] {
        let mut stores = stores();
        let at = advance_to(start(true), &mut stores, phase);
        let Next::Run(command) = at.next() else { panic!("{phase} runs a command") };
        stores.perform(Fence::FIRST, &command, 0).unwrap().unwrap();
        assert!(!untouched(&stores), "the {} took something", command.name());
        let end = run_to_end(at.apply(Event::Cancel).unwrap(), &mut stores);
        assert_eq!(end.next(), Next::Finished(Outcome::Compensated));
        assert!(untouched(&stores), "{} in flight when cancelled: {stores:?}", command.name());
    }
}

#[test]
fn a_step_that_lands_after_the_cancel_takes_nothing() {
    // The charge (or reservation, or redemption) was sent and is slow; the cancel compensates
    // before it lands. The compensation stops its key, so the late step is refused.
    for phase in [Phase::Placed, Phase::RedeemingPoints, Phase::Billing] {
        let mut stores = stores();
        let at = advance_to(start(true), &mut stores, phase);
        let Next::Run(late) = at.next() else { panic!("{phase} runs a command") };
        let end = run_to_end(at.apply(Event::Cancel).unwrap(), &mut stores);
        assert_eq!(end.next(), Next::Finished(Outcome::Compensated));
        let landed = stores.perform(Fence::FIRST, &late, 0).unwrap().unwrap();
        assert!(untouched(&stores), "the late {} took something ({}): {stores:?}", late.name(), landed.name());
    }
}

#[test]
fn a_courier_reply_after_the_cancel_is_refused() {
    let mut stores = stores();
    let waiting = advance_to(start(false), &mut stores, Phase::PreparingOrder);
    let waiting = waiting.apply(Event::CourierWaitOpened { token: token() }).unwrap();
    let cancelled = waiting.apply(Event::Cancel).unwrap();
    let reply = Event::CourierAssigned { token: token(), courier: CourierId::new("c-1").unwrap() };
    let refused = cancelled.clone().apply(reply).unwrap_err();
    assert!(matches!(refused.error, TransitionError::WrongEvent { state: Phase::Compensating, .. }));
    assert_eq!(refused.state, cancelled, "the refused reply changes nothing");
}

#[test]
fn a_cancel_past_the_point_of_no_return_is_refused_with_the_reason() {
    for phase in [Phase::NotifyingCourier, Phase::Dispatched] {
        let mut stores = stores();
        let at = advance_to(start(true), &mut stores, phase);
        let refused = at.clone().apply(Event::Cancel).unwrap_err();
        assert_eq!(refused.error, TransitionError::PastNoReturn { state: phase });
        assert_eq!(refused.state, at, "a refused cancel changes nothing");
        assert!(refused.error.to_string().contains("point of no return"), "{}", refused.error);
    }
}

#[test]
fn a_failed_or_ended_checkout_has_nothing_to_cancel() {
    let mut stores = stores();
    let cancelled = advance_to(start(true), &mut stores, Phase::Billing).apply(Event::Cancel).unwrap();
    let again = cancelled.clone().apply(Event::Cancel).unwrap_err();
    assert_eq!(again.error, TransitionError::NothingToCancel { state: Phase::Compensating }, "a second cancel");
    let compensated = run_to_end(cancelled, &mut stores);
    let again = compensated.apply(Event::Cancel).unwrap_err();
    assert_eq!(again.error, TransitionError::NothingToCancel { state: Phase::Compensated });

    let mut empty = Stores::default();
    empty.inventory.add_book(book(), 0, Money::from_minor_units(30)).unwrap();
    let rejected = run_to_end(start(false), &mut empty);
    assert_eq!(rejected.phase(), Phase::Rejected);
    let refused = rejected.apply(Event::Cancel).unwrap_err();
    assert_eq!(refused.error, TransitionError::NothingToCancel { state: Phase::Rejected });
}

#[test]
fn a_cancelled_record_names_where_it_was_cancelled_and_nothing_else_loads() {
    let mut stores = stores();
    let cancelled = advance_to(start(true), &mut stores, Phase::Billing).apply(Event::Cancel).unwrap();
    let json: serde_json::Value = serde_json::from_str(&cancelled.to_json()).unwrap();
    assert_eq!(json["cause"], serde_json::json!({"kind": "cancelled", "at": "billing"}));
    // A cancel is only ever taken before the point of no return: a record that says otherwise
    // (hand-edited, or written by a broken runner) does not load.
    for at in ["notifying-courier", "dispatched", "compensating", "rejected"] {
        let mut forged = json.clone();
        forged["cause"]["at"] = serde_json::json!(at);
        let loaded = CheckoutState::from_json(&forged.to_string());
        assert!(loaded.is_err(), "a checkout cancelled when {at} loaded");
    }
    // Cancelled while redeeming, the restore may give back up to the whole total in points.
    let redeeming = advance_to(start(true), &mut stores, Phase::RedeemingPoints);
    let mut json: serde_json::Value = serde_json::from_str(&redeeming.apply(Event::Cancel).unwrap().to_json()).unwrap();
    assert_eq!(json["cause"]["at"], "redeeming-points");
    json["cause"]["at"] = serde_json::json!("placed");
    assert!(CheckoutState::from_json(&json.to_string()).is_err(), "a cancel before pricing owes no points");
}
