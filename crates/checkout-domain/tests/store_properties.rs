//! Property-based test over event sequences: a checkout driven against the in-memory stores by
//! any mix of replies, failures and stray events stays a loadable state.

use checkout_domain::fencing::Fence;
use checkout_domain::stores::Stores;
use checkout_domain::{BookId, CheckoutId, CheckoutState, CourierId, Event, Money, Next, Order, TaskToken, UserId};
use proptest::prelude::*;

proptest! {
    /// Whatever events arrive in whatever order, the checkout either takes them or refuses them
    /// unchanged, and every state it reaches persists and reloads as it was.
    #[test]
    fn any_event_sequence_keeps_the_checkout_loadable(quantity in 1u32..=3, redeem: bool, choices in proptest::collection::vec(0u8..9, 0..40)) {
        let order = Order::from_json(&format!(r#"{{"orderId":"o","bookId":"b","userId":"u","quantity":{quantity},"redeem":{redeem}}}"#)).unwrap();
        let mut stores = Stores::default();
        stores.inventory.add_book(BookId::new("b").unwrap(), 2, Money::from_minor_units(7)).unwrap();
        stores.points.open(UserId::new("u").unwrap(), 5).unwrap();
        stores.wallets.open(UserId::new("u").unwrap(), 100).unwrap();
        let mut state = CheckoutState::start(CheckoutId::new("ck-1").unwrap(), order);
        for choice in choices {
            let event = match (choice, state.next()) {
                (_, Next::Finished(_)) => break,
                (_, Next::Compute) => { state = state.compute().unwrap(); continue; }
                (0..=3, Next::OpenCourierWait) => Event::CourierWaitOpened { token: TaskToken::new("t").unwrap() },
                (0..=3, Next::Run(command)) => {
                    stores.perform(Fence::FIRST, &command, 0).unwrap().unwrap_or(Event::CourierNotified)
                }
                (4, _) => Event::StepFailed { detail: "boom".into() },
                (5, _) => match state.courier_wait().and_then(|wait| wait.token) {
                    Some(token) => Event::CourierAssigned { token, courier: CourierId::new("c").unwrap() },
                    None => Event::CourierNotified,
                },
                (6, _) if state.phase() == checkout_domain::Phase::Compensating => {
                    Event::CompensationRefused { detail: "closed".into() }
                }
                (6, _) => Event::DeadlinePassed { now_ms: u64::MAX },
                (7, _) => Event::Cancel,
                _ => Event::CourierNotified,
            };
            state = match state.apply(event) {
                Ok(next) => next,
                Err(refused) => refused.state,
            };
            prop_assert_eq!(CheckoutState::from_json(&state.to_json()).unwrap(), state.clone());
        }
    }
}
