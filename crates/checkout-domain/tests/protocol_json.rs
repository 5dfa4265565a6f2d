//! The adapters' contract, pinned: the key format and the JSON of every command and event. A
//! change here changes what every store, queue and state machine reads and writes.

use checkout_domain::protocol::{
    ChargeReceipt, PointsRedemption, PointsRestored, RefundReceipt, StockReleased, StockReservation, TokenError,
    Unavailable, MAX_TOKEN_LEN,
};
use checkout_domain::states::{OperatorNote, Resolution};
use checkout_domain::{
    BookId, CheckoutId, Command, CourierId, Effect, EffectKey, Event, Money, Order, Points, Quantity, TaskToken, UserId,
};
use serde_json::json;

fn order() -> Order {
    Order::from_json(r#"{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":2,"redeem":true}"#).unwrap()
}

fn key(effect: Effect) -> EffectKey {
    EffectKey::new(&CheckoutId::new("ck-1").unwrap(), effect)
}

#[test]
fn keys_are_order_colon_effect_and_parse_back() {
    let cases = [
        (Effect::ReserveStock, "ck-1:reserve-stock"),
        (Effect::RedeemPoints, "ck-1:redeem-points"),
        (Effect::Charge, "ck-1:charge"),
        (Effect::NotifyCourier, "ck-1:notify-courier"),
    ];
    for (effect, text) in cases {
        assert_eq!(key(effect).to_string(), text);
        assert_eq!(format!("ck-1:{effect}"), text);
        assert_eq!(serde_json::to_value(key(effect)).unwrap(), json!(text));
        assert_eq!(serde_json::from_value::<EffectKey>(json!(text)).unwrap(), key(effect));
        assert_eq!(text.parse::<EffectKey>().unwrap(), key(effect));
    }
    for bad in ["o-1", "o-1:fly", ":charge", "o 1:charge", "o-1:charge:x"] {
        assert!(bad.parse::<EffectKey>().is_err(), "{bad}");
    }
}

/// A task token is whatever the runtime issued (Step Functions' own are up to 1024 printable
/// characters), checked as it arrives; its debug form shows only its start, since it is a secret.
#[test]
fn task_tokens_are_checked_as_they_arrive() {
    let sfn_like = format!("AQB{}==", "x".repeat(1019));
    assert_eq!(TaskToken::new(&sfn_like).unwrap().as_str(), sfn_like);
    assert_eq!(serde_json::from_value::<TaskToken>(json!("t-1")).unwrap(), TaskToken::new("t-1").unwrap());
    assert_eq!(TaskToken::new(""), Err(TokenError::Empty));
    assert_eq!(TaskToken::new("y".repeat(MAX_TOKEN_LEN + 1)), Err(TokenError::TooLong(MAX_TOKEN_LEN + 1)));
    for bad in ["a b", "tab\t", "é"] {
        assert!(matches!(TaskToken::new(bad), Err(TokenError::NotPrintable { .. })), "{bad:?}");
        assert!(serde_json::from_value::<TaskToken>(json!(bad)).is_err());
    }
    let secret = TaskToken::new("s3cr3t-value").unwrap();
    assert_eq!(format!("{secret:?}"), "TaskToken(s3cr…)");
}

#[test]
fn every_command_has_a_pinned_json_shape() {
    let order_json = json!({"orderId": "o-1", "bookId": "b-1", "userId": "u-1", "quantity": 2, "redeem": true});
    let (book, user) = (BookId::new("b-1").unwrap(), UserId::new("u-1").unwrap());
    let cases = [
        (
            Command::ReserveStock {
                key: key(Effect::ReserveStock),
                book: book.clone(),
                quantity: Quantity::new(2).unwrap(),
            },
            json!({"command": "reserve-stock", "key": "ck-1:reserve-stock", "book": "b-1", "quantity": 2}),
        ),
        (
            Command::RedeemPoints { key: key(Effect::RedeemPoints), user: user.clone(), up_to: Points::new(60) },
            json!({"command": "redeem-points", "key": "ck-1:redeem-points", "user": "u-1", "upTo": 60}),
        ),
        (
            Command::Charge { key: key(Effect::Charge), user: user.clone(), amount: Money::from_minor_units(50) },
            json!({"command": "charge", "key": "ck-1:charge", "user": "u-1", "amount": 50}),
        ),
        (
            Command::RequestCourier { token: TaskToken::new("t-1").unwrap(), order: order(), deadline_ms: 900_000 },
            json!({"command": "request-courier", "token": "t-1", "order": order_json, "deadlineMs": 900000}),
        ),
        (
            Command::NotifyCourier {
                key: key(Effect::NotifyCourier),
                courier: CourierId::new("c-1").unwrap(),
                order: order(),
            },
            json!({"command": "notify-courier", "key": "ck-1:notify-courier", "courier": "c-1", "order": order_json}),
        ),
        (
            Command::ReleaseStock { key: key(Effect::ReserveStock), book, quantity: Quantity::new(2).unwrap() },
            json!({"command": "release-stock", "key": "ck-1:reserve-stock", "book": "b-1", "quantity": 2}),
        ),
        (
            Command::RestorePoints { key: key(Effect::RedeemPoints), user: user.clone(), up_to: Points::new(60) },
            json!({"command": "restore-points", "key": "ck-1:redeem-points", "user": "u-1", "upTo": 60}),
        ),
        (
            Command::Refund { key: key(Effect::Charge), user, amount: Money::from_minor_units(50) },
            json!({"command": "refund", "key": "ck-1:charge", "user": "u-1", "amount": 50}),
        ),
    ];
    for (command, expected) in cases {
        let compensation =
            ["release-stock", "restore-points", "refund"].contains(&expected["command"].as_str().unwrap());
        assert_eq!(command.is_compensation(), compensation, "{command:?}");
        assert_eq!(serde_json::to_value(&command).unwrap(), expected, "{command:?}");
        assert_eq!(serde_json::from_value::<Command>(expected.clone()).unwrap(), command);
        assert_eq!(command.name(), expected["command"].as_str().unwrap());
    }
}

#[test]
fn every_event_has_a_pinned_json_shape() {
    let token = TaskToken::new("t-1").unwrap();
    let courier = CourierId::new("c-1").unwrap();
    let cases = [
        (
            Event::StockReserved(StockReservation { unit_price: Money::from_minor_units(30) }),
            json!({"event": "stock-reserved", "unitPrice": 30}),
        ),
        (
            Event::StockUnavailable(Unavailable::OutOfStock { requested: 2, available: 1 }),
            json!({"event": "stock-unavailable", "reason": "out-of-stock", "requested": 2, "available": 1}),
        ),
        (
            Event::StockUnavailable(Unavailable::UnknownBook),
            json!({"event": "stock-unavailable", "reason": "unknown-book"}),
        ),
        (Event::StockUnavailable(Unavailable::Withdrawn), json!({"event": "stock-unavailable", "reason": "withdrawn"})),
        (
            Event::StockUnavailable(Unavailable::KeyReused),
            json!({"event": "stock-unavailable", "reason": "key-reused"}),
        ),
        (
            Event::PointsRedeemed(PointsRedemption { points: Points::new(10) }),
            json!({"event": "points-redeemed", "points": 10}),
        ),
        (
            Event::Charged { receipt: ChargeReceipt { amount: Money::from_minor_units(50) }, now_ms: 7 },
            json!({"event": "charged", "receipt": {"amount": 50}, "nowMs": 7}),
        ),
        (
            Event::CourierAssigned { token: token.clone(), courier },
            json!({"event": "courier-assigned", "token": "t-1", "courier": "c-1"}),
        ),
        (
            Event::CourierUnavailable { token, detail: "none free".into() },
            json!({"event": "courier-unavailable", "token": "t-1", "detail": "none free"}),
        ),
        (Event::DeadlinePassed { now_ms: 9 }, json!({"event": "deadline-passed", "nowMs": 9})),
        (
            Event::CourierWaitOpened { token: TaskToken::new("t-1").unwrap() },
            json!({"event": "courier-wait-opened", "token": "t-1"}),
        ),
        (
            Event::CompensationRefused { detail: "card closed".into() },
            json!({"event": "compensation-refused", "detail": "card closed"}),
        ),
        (Event::CourierNotified, json!({"event": "courier-notified"})),
        (Event::Cancel, json!({"event": "cancel"})),
        (
            Event::Resolve {
                resolution: Resolution::GivenBackByHand { note: OperatorNote::new("refunded at the till").unwrap() },
            },
            json!({"event": "resolve", "resolution": {"kind": "given-back-by-hand", "note": "refunded at the till"}}),
        ),
        (Event::StepFailed { detail: "declined".into() }, json!({"event": "step-failed", "detail": "declined"})),
        (Event::StockReleased(StockReleased { quantity: 2 }), json!({"event": "stock-released", "quantity": 2})),
        (
            Event::PointsRestored(PointsRestored { points: Points::new(10) }),
            json!({"event": "points-restored", "points": 10}),
        ),
        (
            Event::Refunded(RefundReceipt { amount: Money::from_minor_units(50) }),
            json!({"event": "refunded", "amount": 50}),
        ),
    ];
    for (event, expected) in cases {
        assert_eq!(serde_json::to_value(&event).unwrap(), expected, "{event:?}");
        assert_eq!(serde_json::from_value::<Event>(expected.clone()).unwrap(), event);
        assert_eq!(event.name(), expected["event"].as_str().unwrap());
    }
}

#[test]
fn every_phase_is_listed_once_and_reads_back_from_its_name() {
    use checkout_domain::Phase;
    for (i, phase) in Phase::ALL.into_iter().enumerate() {
        assert_eq!(phase.position(), i, "{phase} is out of place in Phase::ALL");
        assert_eq!(phase.to_string().parse::<Phase>(), Ok(phase));
    }
    let unknown = "lost".parse::<Phase>().unwrap_err().to_string();
    assert!(unknown.starts_with("no state lost: one of placed, stock-reserved,") && unknown.ends_with(", resolved"));
}
