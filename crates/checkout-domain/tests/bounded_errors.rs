//! Outside text is quoted, never copied whole: a 50 MB field gives a short error line, and a
//! service's 50 MB failure reason gives a short record.

use checkout_domain::excerpt::MAX_EXCERPT;
use checkout_domain::{CheckoutId, CheckoutState, CourierId, Event, Order, TaskToken};

const HUGE: usize = 50 * 1024 * 1024;

/// Long enough for the excerpt, its note of the full length, and the message around it.
const SHORT: usize = MAX_EXCERPT + 200;

fn order() -> Order {
    Order::from_json(r#"{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":1}"#).unwrap()
}

#[test]
fn order_errors_quote_a_huge_field_briefly() {
    let huge = "x".repeat(HUGE);
    let bodies = [
        format!(r#"{{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":"{huge}"}}"#),
        format!(r#"{{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":1,"{huge}":1}}"#),
        format!(r#"{{"orderId":"{huge}","bookId":"b-1","userId":"u-1","quantity":1}}"#),
        format!(r#"{{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":1{}}}"#, "9".repeat(HUGE)),
    ];
    for body in bodies {
        let message = Order::from_json(&body).unwrap_err().to_string();
        assert!(message.len() < SHORT, "{} bytes: {}", message.len(), &message[..SHORT.min(message.len())]);
    }
}

#[test]
fn load_errors_quote_a_huge_record_briefly() {
    let huge = "y".repeat(HUGE);
    let records = [
        format!(
            r#"{{"state":"placed","checkout":"ck-1","order":{{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":1}},"{huge}":1}}"#
        ),
        format!(r#"{{"state":"{huge}"}}"#),
        format!(
            r#"{{"state":"compensating","checkout":"ck-1","order":{{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":1}},"pricing":{{"unitPrice":30,"total":30,"pointsRedeemed":0,"amountDue":30}},"cause":{{"kind":"courier-timed-out","deadlineMs":5}},"returned":{{"stock":0,"points":0,"money":0}},"unreturned":[],"owes":[{}"release-stock"]}}"#,
            r#""release-stock","#.repeat(HUGE / 16)
        ),
    ];
    for record in records {
        let message = CheckoutState::from_json(&record).unwrap_err().to_string();
        assert!(message.len() < SHORT, "{} bytes: {}", message.len(), &message[..SHORT.min(message.len())]);
    }
}

#[test]
fn a_forged_huge_token_is_refused_briefly() {
    let reply = format!(r#"{{"event":"courier-assigned","token":"{}","courier":"c-1"}}"#, "z".repeat(HUGE));
    let message = serde_json::from_str::<Event>(&reply).unwrap_err().to_string();
    assert!(message.len() < SHORT, "{} bytes", message.len());
    let unprintable = format!("{} {}", "z".repeat(500), "z".repeat(500));
    let message = TaskToken::new(unprintable).unwrap_err().to_string();
    assert!(message.len() < SHORT, "{} bytes", message.len());

    let waiting = [Event::StockReserved(checkout_domain::protocol::StockReservation {
        unit_price: checkout_domain::Money::from_minor_units(30),
    })]
    .into_iter()
    .fold(CheckoutState::start(CheckoutId::new("ck-1").unwrap(), order()), |state, event| state.apply(event).unwrap());
    let billing = waiting.compute().unwrap().compute().unwrap();
    let amount = billing.pricing().unwrap().amount_due;
    let receipt = checkout_domain::protocol::ChargeReceipt { amount };
    let preparing = billing.apply(Event::Charged { receipt, now_ms: 0 }).unwrap();
    let opened = preparing.apply(Event::CourierWaitOpened { token: TaskToken::new("t-1").unwrap() }).unwrap();
    let longest = TaskToken::new("z".repeat(checkout_domain::protocol::MAX_TOKEN_LEN)).unwrap();
    let forged = Event::CourierAssigned { token: longest, courier: CourierId::new("c-1").unwrap() };
    let message = opened.apply(forged).unwrap_err().to_string();
    assert!(message.len() < SHORT, "{} bytes", message.len());
}

#[test]
fn a_huge_refusal_reason_is_kept_as_an_excerpt() {
    let failed = CheckoutState::start(CheckoutId::new("ck-1").unwrap(), order())
        .apply(Event::StepFailed { detail: "lost".into() })
        .unwrap();
    let stuck = failed.apply(Event::CompensationRefused { detail: "r".repeat(HUGE) }).unwrap();
    let record = stuck.to_json();
    assert!(record.len() < SHORT + 300, "{} bytes", record.len());
    assert_eq!(CheckoutState::from_json(&record).unwrap(), stuck);
}

#[test]
fn a_huge_failure_reason_is_kept_as_an_excerpt() {
    let failed = CheckoutState::start(CheckoutId::new("ck-1").unwrap(), order())
        .apply(Event::StepFailed { detail: "r".repeat(HUGE) })
        .unwrap();
    let record = failed.to_json();
    assert!(record.len() < SHORT + 300, "{} bytes", record.len());
    assert_eq!(CheckoutState::from_json(&record).unwrap(), failed);
}

#[test]
fn an_excerpt_is_cut_at_a_character_boundary() {
    use checkout_domain::excerpt::excerpt;
    // 3 bytes each: byte 200 falls inside the 67th character, so the excerpt keeps 66.
    let euros = "€".repeat(100);
    assert_eq!(excerpt(&euros), format!("{}… (300 bytes in all)", "€".repeat(66)));
    assert_eq!(excerpt("short"), "short");
    assert_eq!(excerpt(&"a".repeat(MAX_EXCERPT)), "a".repeat(MAX_EXCERPT));
}
