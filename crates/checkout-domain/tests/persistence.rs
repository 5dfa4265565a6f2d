//! Loading a persisted checkout refuses records that describe no state the saga can be in.

use checkout_domain::{CheckoutState, LoadError, Phase, StateError};

const ORDER: &str = r#"{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":2,"redeem":false}"#;
const REDEEMING: &str = r#"{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":2,"redeem":true}"#;
const PRICING: &str = r#"{"unitPrice":30,"total":60,"pointsRedeemed":0,"amountDue":60}"#;

fn load(json: &str) -> Result<CheckoutState, LoadError> {
    CheckoutState::from_json(json)
}

#[test]
fn consistent_records_load_and_save_back_identically() {
    let after_points = r#"{"unitPrice":30,"total":60,"pointsRedeemed":10,"amountDue":50}"#;
    let records = [
        format!(
            r#"{{"state":"billing","checkout":"ck-1","order":{ORDER},"pricing":{PRICING},"owes":["release-stock"]}}"#
        ),
        format!(
            r#"{{"state":"billing","checkout":"ck-1","order":{REDEEMING},"pricing":{after_points},"owes":["restore-points","release-stock"]}}"#
        ),
        format!(
            r#"{{"state":"compensating","checkout":"ck-1","order":{REDEEMING},"pricing":{{"unitPrice":30,"total":60,"pointsRedeemed":10,"amountDue":50}},"cause":{{"kind":"courier-timed-out","deadlineMs":900000}},"returned":{{"stock":0,"points":0,"money":50}},"unreturned":[],"owes":["restore-points","release-stock"]}}"#
        ),
        format!(
            r#"{{"state":"compensated","checkout":"ck-1","order":{REDEEMING},"pricing":{{"unitPrice":30,"total":60,"pointsRedeemed":10,"amountDue":50}},"cause":{{"kind":"courier-timed-out","deadlineMs":900000}},"returned":{{"stock":2,"points":10,"money":50}}}}"#
        ),
        format!(
            r#"{{"state":"compensated","checkout":"ck-1","order":{REDEEMING},"pricing":{{"unitPrice":30,"total":60,"pointsRedeemed":0,"amountDue":60}},"cause":{{"kind":"step-failed","effect":"redeem-points","detail":"x"}},"returned":{{"stock":2,"points":4,"money":0}}}}"#
        ),
        format!(
            r#"{{"state":"preparing-order","checkout":"ck-1","order":{ORDER},"pricing":{PRICING},"deadlineMs":900000,"token":"t-1","owes":["refund","release-stock"]}}"#
        ),
        format!(
            r#"{{"state":"compensating","checkout":"ck-1","order":{REDEEMING},"pricing":{{"unitPrice":30,"total":60,"pointsRedeemed":10,"amountDue":50}},"cause":{{"kind":"courier-timed-out","deadlineMs":900000}},"returned":{{"stock":0,"points":0,"money":0}},"unreturned":[{{"compensation":"refund","detail":"card closed"}}],"owes":["restore-points","release-stock"]}}"#
        ),
        format!(
            r#"{{"state":"needs-operator","checkout":"ck-1","order":{REDEEMING},"pricing":{{"unitPrice":30,"total":60,"pointsRedeemed":10,"amountDue":50}},"cause":{{"kind":"courier-timed-out","deadlineMs":900000}},"returned":{{"stock":2,"points":10,"money":0}},"unreturned":[{{"compensation":"refund","detail":"card closed"}}]}}"#
        ),
        format!(
            r#"{{"state":"preparing-order","checkout":"ck-1","order":{ORDER},"pricing":{PRICING},"deadlineMs":900000,"token":null,"owes":["refund","release-stock"]}}"#
        ),
    ];
    for json in records {
        let state = load(&json).unwrap_or_else(|e| panic!("{json}: {e}"));
        assert_eq!(state.to_json(), json);
    }
}

#[test]
fn inconsistent_records_are_refused_with_the_reason() {
    let cases = [
        (
            format!(
                r#"{{"state":"billing","checkout":"ck-1","order":{ORDER},"pricing":{{"unitPrice":30,"total":50,"pointsRedeemed":0,"amountDue":50}},"owes":["release-stock"]}}"#
            ),
            "does not follow from quantity 2",
        ),
        (
            format!(
                r#"{{"state":"billing","checkout":"ck-1","order":{ORDER},"pricing":{PRICING},"owes":["refund","release-stock"]}}"#
            ),
            "owes",
        ),
        (
            format!(r#"{{"state":"redeeming-points","checkout":"ck-1","order":{ORDER},"pricing":{PRICING}}}"#),
            "does not ask to redeem",
        ),
        (
            format!(
                r#"{{"state":"billing","checkout":"ck-1","order":{ORDER},"pricing":{{"unitPrice":30,"total":60,"pointsRedeemed":10,"amountDue":50}},"owes":["release-stock"]}}"#
            ),
            "points are redeemed for an order that has not redeemed any",
        ),
        (
            format!(
                r#"{{"state":"priced","checkout":"ck-1","order":{REDEEMING},"pricing":{{"unitPrice":30,"total":60,"pointsRedeemed":10,"amountDue":50}}}}"#
            ),
            "points are redeemed for an order that has not redeemed any",
        ),
        (
            format!(
                r#"{{"state":"compensating","checkout":"ck-1","order":{REDEEMING},"pricing":{{"unitPrice":30,"total":60,"pointsRedeemed":10,"amountDue":50}},"cause":{{"kind":"courier-timed-out","deadlineMs":900000}},"returned":{{"stock":0,"points":4,"money":0}},"unreturned":[],"owes":["restore-points","release-stock"]}}"#
            ),
            "still owed",
        ),
        (
            format!(
                r#"{{"state":"compensating","checkout":"ck-1","order":{ORDER},"pricing":{PRICING},"cause":{{"kind":"courier-timed-out","deadlineMs":900000}},"returned":{{"stock":0,"points":0,"money":60}},"unreturned":[],"owes":["refund","release-stock"]}}"#
            ),
            "still owed",
        ),
        (
            format!(
                r#"{{"state":"compensating","checkout":"ck-1","order":{ORDER},"pricing":{PRICING},"cause":{{"kind":"courier-timed-out","deadlineMs":900000}},"returned":{{"stock":0,"points":0,"money":0}},"unreturned":[],"owes":["restore-points","release-stock"]}}"#
            ),
            "never redeemed",
        ),
        (
            format!(
                r#"{{"state":"compensating","checkout":"ck-1","order":{REDEEMING},"pricing":{{"unitPrice":30,"total":60,"pointsRedeemed":10,"amountDue":50}},"cause":{{"kind":"courier-timed-out","deadlineMs":900000}},"returned":{{"stock":0,"points":0,"money":0}},"unreturned":[],"owes":["release-stock","refund"]}}"#
            ),
            "not a stack of holds",
        ),
        (
            format!(
                r#"{{"state":"compensating","checkout":"ck-1","order":{ORDER},"pricing":{PRICING},"cause":{{"kind":"courier-timed-out","deadlineMs":900000}},"returned":{{"stock":2,"points":0,"money":0}},"unreturned":[],"owes":["release-stock"]}}"#
            ),
            "still owed",
        ),
        (
            format!(
                r#"{{"state":"compensated","checkout":"ck-1","order":{ORDER},"pricing":{PRICING},"cause":{{"kind":"courier-timed-out","deadlineMs":900000}},"returned":{{"stock":3,"points":0,"money":0}}}}"#
            ),
            "3 copies returned for an order of 2",
        ),
        // A redeeming order that failed after paying owes its points too: dropping them from
        // the stack would keep the customer's points for good.
        (
            format!(
                r#"{{"state":"compensating","checkout":"ck-1","order":{REDEEMING},"pricing":{{"unitPrice":30,"total":60,"pointsRedeemed":10,"amountDue":50}},"cause":{{"kind":"courier-timed-out","deadlineMs":900000}},"returned":{{"stock":0,"points":0,"money":0}},"unreturned":[],"owes":["refund","release-stock"]}}"#
            ),
            "owed [Refund, RestorePoints, ReleaseStock]",
        ),
        (
            format!(
                r#"{{"state":"compensated","checkout":"ck-1","order":{ORDER},"pricing":{PRICING},"cause":{{"kind":"courier-timed-out","deadlineMs":900000}},"returned":{{"stock":2,"points":5,"money":60}}}}"#
            ),
            "but at most 60 was charged and 0 points taken",
        ),
        (
            format!(
                r#"{{"state":"compensated","checkout":"ck-1","order":{REDEEMING},"pricing":null,"cause":{{"kind":"step-failed","effect":"reserve-stock","detail":"x"}},"returned":{{"stock":2,"points":0,"money":60}}}}"#
            ),
            "but at most 0 was charged",
        ),
        (
            format!(
                r#"{{"state":"compensating","checkout":"ck-1","order":{REDEEMING},"pricing":null,"cause":{{"kind":"step-failed","effect":"reserve-stock","detail":"x"}},"returned":{{"stock":0,"points":0,"money":0}},"unreturned":[],"owes":["refund","restore-points","release-stock"]}}"#
            ),
            "owed [ReleaseStock]",
        ),
        (
            format!(
                r#"{{"state":"compensating","checkout":"ck-1","order":{ORDER},"pricing":{PRICING},"cause":{{"kind":"step-failed","effect":"redeem-points","detail":"x"}},"returned":{{"stock":0,"points":0,"money":0}},"unreturned":[],"owes":["release-stock"]}}"#
            ),
            "redeems none",
        ),
        (
            format!(
                r#"{{"state":"compensated","checkout":"ck-1","order":{ORDER},"pricing":{PRICING},"cause":{{"kind":"courier-timed-out","deadlineMs":5}},"returned":{{"stock":2,"points":0,"money":60}}}}"#
            ),
            "before any charge",
        ),
        (
            format!(
                r#"{{"state":"preparing-order","checkout":"ck-1","order":{ORDER},"pricing":{PRICING},"deadlineMs":899999,"token":"t-1","owes":["refund","release-stock"]}}"#
            ),
            "before any charge",
        ),
        (
            format!(
                r#"{{"state":"compensated","checkout":"ck-1","order":{REDEEMING},"pricing":{{"unitPrice":30,"total":60,"pointsRedeemed":0,"amountDue":60}},"cause":{{"kind":"step-failed","effect":"redeem-points","detail":"x"}},"returned":{{"stock":2,"points":4,"money":60}}}}"#
            ),
            "but at most 0 was charged and 60 points taken",
        ),
        (
            format!(
                r#"{{"state":"compensated","checkout":"ck-1","order":{ORDER},"pricing":{PRICING},"cause":{{"kind":"courier-timed-out","deadlineMs":900000}},"returned":{{"stock":2,"points":0,"money":61}}}}"#
            ),
            "61 refunded and 0 points restored, but at most 60 was charged",
        ),
        (
            format!(
                r#"{{"state":"compensated","checkout":"ck-1","order":{ORDER},"pricing":null,"cause":{{"kind":"courier-timed-out","deadlineMs":900000}},"returned":{{"stock":2,"points":0,"money":0}}}}"#
            ),
            "a checkout that failed so has a pricing",
        ),
        (
            format!(
                r#"{{"state":"compensated","checkout":"ck-1","order":{ORDER},"pricing":{PRICING},"cause":{{"kind":"step-failed","effect":"reserve-stock","detail":"x"}},"returned":{{"stock":2,"points":0,"money":0}}}}"#
            ),
            "a checkout that failed so has no pricing",
        ),
        (
            format!(
                r#"{{"state":"needs-operator","checkout":"ck-1","order":{ORDER},"pricing":{PRICING},"cause":{{"kind":"courier-timed-out","deadlineMs":900000}},"returned":{{"stock":2,"points":0,"money":60}},"unreturned":[]}}"#
            ),
            "nothing is listed as refused",
        ),
        (
            format!(
                r#"{{"state":"needs-operator","checkout":"ck-1","order":{ORDER},"pricing":null,"cause":{{"kind":"step-failed","effect":"reserve-stock","detail":"x"}},"returned":{{"stock":0,"points":0,"money":0}},"unreturned":[{{"compensation":"refund","detail":"x"}}]}}"#
            ),
            "is listed as refused, but the compensations run so far are [ReleaseStock]",
        ),
        (
            format!(
                r#"{{"state":"compensating","checkout":"ck-1","order":{ORDER},"pricing":{PRICING},"cause":{{"kind":"courier-timed-out","deadlineMs":900000}},"returned":{{"stock":0,"points":0,"money":60}},"unreturned":[{{"compensation":"refund","detail":"x"}}],"owes":["release-stock"]}}"#
            ),
            "yet it gave something back",
        ),
        (
            format!(
                r#"{{"state":"compensating","checkout":"ck-1","order":{ORDER},"pricing":{PRICING},"cause":{{"kind":"courier-timed-out","deadlineMs":900000}},"returned":{{"stock":0,"points":0,"money":0}},"unreturned":[{{"compensation":"refund","detail":"x"}}],"owes":["refund","release-stock"]}}"#
            ),
            "is listed as refused, but the compensations run so far are []",
        ),
    ];
    for (json, expected) in cases {
        let err = load(&json).unwrap_err();
        assert!(matches!(err, LoadError::State(_)), "{json}: {err}");
        assert!(err.to_string().contains(expected), "{json}\n  gave: {err}\n  expected it to mention: {expected}");
    }
}

/// A record missing a field its state has, or carrying one it does not, is refused by serde
/// itself, with the field named.
#[test]
fn malformed_records_are_json_errors_naming_the_field() {
    let cases = [
        ("".to_string(), "EOF"),
        ("{}".to_string(), "missing field `state`"),
        (r#"{"state":"flying","order":{}}"#.to_string(), "unknown variant `flying`"),
        (format!(r#"{{"state":"placed","checkout":"ck-1","order":{ORDER},"extra":1}}"#), "unknown field `extra`"),
        (
            format!(r#"{{"state":"billing","checkout":"ck-1","order":{ORDER},"pricing":{PRICING}}}"#),
            "missing field `owes`",
        ),
        (
            format!(r#"{{"state":"placed","checkout":"ck-1","order":{ORDER},"pricing":{PRICING}}}"#),
            "unknown field `pricing`",
        ),
        (
            format!(
                r#"{{"state":"preparing-order","checkout":"ck-1","order":{ORDER},"pricing":{PRICING},"deadlineMs":900000,"token":"two words","owes":["refund","release-stock"]}}"#
            ),
            "printable ASCII",
        ),
        (
            format!(
                r#"{{"state":"billing","checkout":"ck-1","order":{ORDER},"pricing":{{"unitPrice":30}},"owes":["release-stock"]}}"#
            ),
            "missing field `total`",
        ),
    ];
    for (json, expected) in cases {
        let err = load(&json).unwrap_err();
        assert!(matches!(err, LoadError::Json(_)), "{json}: {err}");
        assert!(err.to_string().contains(expected), "{json}\n  gave: {err}\n  expected it to mention: {expected}");
    }
}

#[test]
fn the_typed_error_is_reachable_through_serde_too() {
    let json = format!(r#"{{"state":"redeeming-points","checkout":"ck-1","order":{ORDER},"pricing":{PRICING}}}"#);
    let err = serde_json::from_str::<CheckoutState>(&json).unwrap_err();
    let expected =
        StateError { state: Phase::RedeemingPoints, detail: "the order does not ask to redeem points".into() };
    assert!(err.to_string().contains(&expected.to_string()), "{err}");
}

/// The fuzz targets start from these seeds; each must be a record that loads, or the fuzzer
/// starts from noise.
#[test]
fn the_fuzz_seeds_are_records_that_load() {
    let seeds = [
        include_str!("../../../fuzz/seeds/persisted_checkout/billing.json"),
        include_str!("../../../fuzz/seeds/persisted_checkout/compensating.json"),
        include_str!("../../../fuzz/seeds/persisted_checkout/preparing.json"),
        include_str!("../../../fuzz/seeds/persisted_checkout/needs_operator.json"),
    ];
    for seed in seeds {
        let state = load(seed.trim()).unwrap_or_else(|e| panic!("{seed}: {e}"));
        assert_eq!(state.to_json(), seed.trim());
    }
}
