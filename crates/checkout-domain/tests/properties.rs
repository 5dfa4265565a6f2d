//! Property-based tests over order inputs and event sequences.

use checkout_domain::ledger::Stores;
use checkout_domain::order::MAX_QUANTITY;
use checkout_domain::{BookId, CheckoutState, CourierId, Event, Money, Next, Order, UserId};
use proptest::prelude::*;

fn id() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._-]{1,64}"
}

proptest! {
    #[test]
    fn valid_orders_parse_and_round_trip(order_id in id(), book in id(), user in id(), quantity in 1..=MAX_QUANTITY, redeem: bool) {
        let json = serde_json::json!({"orderId": order_id, "bookId": book, "userId": user, "quantity": quantity, "redeem": redeem}).to_string();
        let order = Order::from_json(&json).unwrap();
        prop_assert_eq!(order.id().as_str(), order_id.as_str());
        prop_assert_eq!(order.quantity().get(), quantity);
        let again = Order::from_json(&serde_json::to_string(&order).unwrap()).unwrap();
        prop_assert_eq!(again, order);
    }

    #[test]
    fn quantities_outside_the_range_are_refused(quantity in prop_oneof![i64::MIN..=0, i64::from(MAX_QUANTITY) + 1..=i64::MAX]) {
        let json = serde_json::json!({"orderId": "o", "bookId": "b", "userId": "u", "quantity": quantity}).to_string();
        let err = Order::from_json(&json).unwrap_err();
        prop_assert_eq!(err.to_string(), format!("quantity must be a whole number from 1 to {MAX_QUANTITY}, got {quantity}"));
    }

    #[test]
    fn arbitrary_text_never_panics_the_parser(text in ".{0,200}") {
        let _ = Order::from_json(&text);
        let _ = CheckoutState::from_json(&text);
    }

    /// Whatever events arrive in whatever order, the checkout either takes them or refuses them
    /// unchanged, and every state it reaches persists and reloads as it was.
    #[test]
    fn any_event_sequence_keeps_the_checkout_loadable(quantity in 1u32..=3, redeem: bool, choices in proptest::collection::vec(0u8..8, 0..40)) {
        let order = Order::from_json(&format!(r#"{{"orderId":"o","bookId":"b","userId":"u","quantity":{quantity},"redeem":{redeem}}}"#)).unwrap();
        let mut stores = Stores::default();
        stores.inventory.add_book(BookId::new("b").unwrap(), 2, Money::from_minor_units(7));
        stores.points.open(UserId::new("u").unwrap(), 5);
        stores.wallets.open(UserId::new("u").unwrap(), 100);
        let mut state = CheckoutState::start(order);
        for choice in choices {
            let event = match (choice, state.next()) {
                (_, Next::Finished(_)) => break,
                (_, Next::Compute) => { state = state.compute().unwrap(); continue; }
                (0..=3, Next::Run(command)) => stores.perform(&command, 0).unwrap_or(Event::CourierNotified),
                (4, _) => Event::StepFailed { detail: "boom".into() },
                (5, _) => match state.courier_wait() {
                    Some((token, _)) => Event::CourierAssigned { token, courier: CourierId::new("c").unwrap() },
                    None => Event::CourierNotified,
                },
                (6, _) => Event::DeadlinePassed { now_ms: u64::MAX },
                _ => Event::CourierNotified,
            };
            if let Ok(next) = state.apply(event) {
                state = next;
            }
            prop_assert_eq!(CheckoutState::from_json(&state.to_json()).unwrap(), state.clone());
        }
    }
}
