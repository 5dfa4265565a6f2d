//! The public view of a checkout shows what it stands at, and never the courier wait's token.

use checkout_domain::protocol::{ChargeReceipt, StockReservation};
use checkout_domain::{CheckoutId, CheckoutState, CourierId, Event, Money, Next, Order, Outcome, TaskToken};

const SECRET: &str = "5ec2e7a11ce0b0b5ec2e7a11ce0b0b00";

/// The states of one checkout from its start to its dispatch, each one step further.
fn journey() -> Vec<CheckoutState> {
    let order = Order::from_json(r#"{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":2}"#).unwrap();
    let mut states = vec![CheckoutState::start(CheckoutId::new("ck-1").unwrap(), order)];
    loop {
        let state = states.last().unwrap().clone();
        let next = match state.next() {
            Next::Finished(_) => return states,
            Next::Compute => state.compute().unwrap(),
            Next::OpenCourierWait => {
                state.apply(Event::CourierWaitOpened { token: TaskToken::new(SECRET).unwrap() }).unwrap()
            }
            Next::Run(checkout_domain::Command::ReserveStock { .. }) => {
                state.apply(Event::StockReserved(StockReservation { unit_price: Money::from_minor_units(30) })).unwrap()
            }
            Next::Run(checkout_domain::Command::Charge { amount, .. }) => {
                state.apply(Event::Charged { receipt: ChargeReceipt { amount }, now_ms: 0 }).unwrap()
            }
            Next::Run(checkout_domain::Command::RequestCourier { token, .. }) => {
                state.apply(Event::CourierAssigned { token, courier: CourierId::new("c-1").unwrap() }).unwrap()
            }
            Next::Run(_) => state.apply(Event::CourierNotified).unwrap(),
        };
        states.push(next);
    }
}

#[test]
fn no_view_shows_the_wait_token() {
    let states = journey();
    let waiting = states.iter().find(|s| s.courier_wait().is_some_and(|w| w.token.is_some())).unwrap();
    assert!(waiting.to_json().contains(SECRET), "the record keeps the token, so the check below can fail");
    for state in &states {
        let view = serde_json::to_string(&state.view()).unwrap();
        assert!(!view.contains(SECRET) && !view.contains("token"), "{view}");
    }
    let view = serde_json::to_value(waiting.view()).unwrap();
    assert_eq!(view["state"], "preparing-order");
    assert_eq!(view["courierDeadlineMs"], 900_000, "the deadline is shown instead");
    assert_eq!(view["pricing"]["amountDue"], 60);
}

#[test]
fn an_ended_view_names_its_outcome_as_everything_else_spells_it() {
    let dispatched = journey().pop().unwrap();
    let view = serde_json::to_value(dispatched.view()).unwrap();
    assert_eq!((view["outcome"].as_str(), view["courier"].as_str()), (Some("dispatched"), Some("c-1")));
    assert_eq!(Outcome::NeedsOperator.name(), "needs-operator");
}
