//! Order input: valid orders parse, every kind of bad input is a typed error with a clear line.

use checkout_domain::order::{IdField, MAX_QUANTITY};
use checkout_domain::{Order, OrderError};

fn parse(json: &str) -> Result<Order, OrderError> {
    Order::from_json(json)
}

#[test]
fn a_valid_order_parses_with_every_field() {
    let order = parse(r#"{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":3,"redeem":true}"#).unwrap();
    assert_eq!(order.id().as_str(), "o-1");
    assert_eq!(order.book().as_str(), "b-1");
    assert_eq!(order.user().as_str(), "u-1");
    assert_eq!(order.quantity().get(), 3);
    assert!(order.redeem_points());
}

#[test]
fn redeem_defaults_to_false() {
    let order = parse(r#"{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":1}"#).unwrap();
    assert!(!order.redeem_points());
}

#[test]
fn quantity_out_of_range_is_refused_with_the_value() {
    // Numbers beyond 64 bits reach us as floating point, and are shown as such.
    let cases =
        [("0", "0"), ("-3", "-3"), ("101", "101"), ("1.5", "1.5"), ("18446744073709551616", "1.8446744073709552e+19")];
    for (raw, shown) in cases {
        let json = format!(r#"{{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":{raw}}}"#);
        match parse(&json) {
            Err(OrderError::Quantity { got }) => assert_eq!(got, shown),
            Err(OrderError::Malformed { detail }) => panic!("quantity {raw} should get our own error, got: {detail}"),
            other => panic!("quantity {raw} accepted or misreported: {other:?}"),
        }
    }
    let max = format!(r#"{{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":{MAX_QUANTITY}}}"#);
    assert!(parse(&max).is_ok());
}

#[test]
fn bad_ids_name_the_field() {
    let long = "x".repeat(65);
    let cases = [
        (
            r#"{"orderId":"","bookId":"b","userId":"u","quantity":1}"#.to_string(),
            OrderError::EmptyId { field: IdField::OrderId },
        ),
        (
            format!(r#"{{"orderId":"o","bookId":"{long}","userId":"u","quantity":1}}"#),
            OrderError::IdTooLong { field: IdField::BookId, len: 65 },
        ),
        (
            r#"{"orderId":"o","bookId":"b","userId":"u:1","quantity":1}"#.to_string(),
            OrderError::IdCharacter { field: IdField::UserId, found: ':' },
        ),
    ];
    for (json, expected) in cases {
        assert_eq!(parse(&json).unwrap_err(), expected);
    }
}

#[test]
fn unknown_and_missing_fields_are_refused() {
    let unknown = parse(r#"{"orderId":"o","bookId":"b","userId":"u","quantity":1,"price":0}"#).unwrap_err();
    assert!(matches!(&unknown, OrderError::Malformed { detail } if detail.contains("price")), "{unknown}");
    let missing = parse(r#"{"orderId":"o","bookId":"b","quantity":1}"#).unwrap_err();
    assert!(matches!(&missing, OrderError::Malformed { detail } if detail.contains("userId")), "{missing}");
    assert!(matches!(parse("not json"), Err(OrderError::Malformed { .. })));
}

#[test]
fn errors_render_as_one_line() {
    let err = parse(r#"{"orderId":"o","bookId":"b","userId":"u","quantity":-1}"#).unwrap_err();
    assert_eq!(err.to_string(), "quantity must be a whole number from 1 to 100, got -1");
    let err = parse(r#"{"orderId":"o 1","bookId":"b","userId":"u","quantity":1}"#).unwrap_err();
    assert_eq!(err.to_string(), "orderId contains ' '; only ASCII letters, digits, '-', '_' and '.' are allowed");
}

#[test]
fn an_order_round_trips_through_json() {
    let order = parse(r#"{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":2,"redeem":true}"#).unwrap();
    let json = serde_json::to_string(&order).unwrap();
    assert_eq!(Order::from_json(&json).unwrap(), order);
}
