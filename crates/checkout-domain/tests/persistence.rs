//! Loading a persisted checkout refuses records that describe no state the saga can be in.

use checkout_domain::{CheckoutState, LoadError, StateError};

const ORDER: &str = r#"{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":2,"redeem":false}"#;
const REDEEMING: &str = r#"{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":2,"redeem":true}"#;
const PRICING: &str = r#"{"unitPrice":30,"total":60,"pointsRedeemed":0,"amountDue":60}"#;

fn load(json: &str) -> Result<CheckoutState, LoadError> {
    CheckoutState::from_json(json)
}

#[test]
fn a_consistent_record_loads_and_saves_back_identically() {
    let json = format!(r#"{{"state":"billing","order":{ORDER},"pricing":{PRICING},"owes":["release-stock"]}}"#);
    let state = load(&json).unwrap();
    assert_eq!(state.to_json(), json);
}

#[test]
fn inconsistent_records_are_refused_with_the_reason() {
    let cases = [
        (
            format!(
                r#"{{"state":"billing","order":{ORDER},"pricing":{{"unitPrice":30,"total":50,"pointsRedeemed":0,"amountDue":50}},"owes":["release-stock"]}}"#
            ),
            "does not follow from quantity 2",
        ),
        (
            format!(r#"{{"state":"billing","order":{ORDER},"pricing":{PRICING},"owes":["refund","release-stock"]}}"#),
            "owes",
        ),
        (format!(r#"{{"state":"billing","order":{ORDER},"pricing":{PRICING}}}"#), "lacks field owes"),
        (format!(r#"{{"state":"placed","order":{ORDER},"pricing":{PRICING}}}"#), "must not have field pricing"),
        (format!(r#"{{"state":"redeeming-points","order":{ORDER},"pricing":{PRICING}}}"#), "does not ask to redeem"),
        (
            format!(
                r#"{{"state":"compensating","order":{ORDER},"cause":{{"kind":"courier-timed-out","deadlineMs":5}},"returned":{{"stock":0,"points":0,"money":0}},"owes":["restore-points","release-stock"]}}"#
            ),
            "never redeemed",
        ),
        (
            format!(
                r#"{{"state":"compensating","order":{REDEEMING},"cause":{{"kind":"courier-timed-out","deadlineMs":5}},"returned":{{"stock":0,"points":0,"money":0}},"owes":["release-stock","refund"]}}"#
            ),
            "not a stack of holds",
        ),
        (
            format!(
                r#"{{"state":"compensating","order":{ORDER},"cause":{{"kind":"courier-timed-out","deadlineMs":5}},"returned":{{"stock":2,"points":0,"money":0}},"owes":["release-stock"]}}"#
            ),
            "still owed",
        ),
        (
            format!(
                r#"{{"state":"compensated","order":{ORDER},"cause":{{"kind":"courier-timed-out","deadlineMs":5}},"returned":{{"stock":3,"points":0,"money":0}}}}"#
            ),
            "3 copies returned for an order of 2",
        ),
    ];
    for (json, expected) in cases {
        let err = load(&json).unwrap_err();
        assert!(matches!(err, LoadError::State(_)), "{json}: {err}");
        assert!(err.to_string().contains(expected), "{json}\n  gave: {err}\n  expected it to mention: {expected}");
    }
}

#[test]
fn malformed_records_are_json_errors() {
    for json in
        ["", "{}", r#"{"state":"flying","order":{}}"#, &format!(r#"{{"state":"placed","order":{ORDER},"extra":1}}"#)]
    {
        assert!(matches!(load(json), Err(LoadError::Json(_))), "{json}");
    }
}

#[test]
fn the_typed_error_is_reachable_through_serde_too() {
    let json = format!(r#"{{"state":"placed","order":{ORDER},"pricing":{PRICING}}}"#);
    let err = serde_json::from_str::<CheckoutState>(&json).unwrap_err();
    let expected = StateError::Unexpected { state: "placed", field: "pricing" }.to_string();
    assert!(err.to_string().contains(&expected), "{err}");
}
