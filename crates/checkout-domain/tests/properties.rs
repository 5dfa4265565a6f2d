//! Property-based tests over order inputs and event sequences.

use checkout_domain::order::MAX_QUANTITY;
use checkout_domain::{CheckoutState, Order};
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
}
