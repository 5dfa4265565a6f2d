//! Strict loading, by exhaustion: every state the saga can reach (by any events, over small
//! value domains) is enumerated, and every record made from one of them by a structural change
//! (another owes-stack, cause, returned amount, list of refused compensations, pricing, deadline,
//! courier token, redeem flag or state tag)
//! loads only if it is itself the record of a reachable state.

use std::collections::{BTreeSet, VecDeque};

use checkout_domain::protocol::{
    ChargeReceipt, PointsRedemption, PointsRestored, RefundReceipt, StockReleased, StockReservation, Unavailable,
};
use checkout_domain::{CheckoutId, CheckoutState, CourierId, Event, Money, Next, Order, Points, TaskToken};
use serde_json::{json, Value};

/// Every event that could be fed to `state`, over the small domains the test explores.
fn events(state: &CheckoutState) -> Vec<Event> {
    let quantity = state.order().quantity().get();
    let mut events = vec![
        Event::StockReserved(StockReservation { unit_price: Money::from_minor_units(30) }),
        Event::StockUnavailable(Unavailable::OutOfStock { requested: quantity, available: 0 }),
        Event::StepFailed { detail: "x".into() },
        Event::PointsRedeemed(PointsRedemption { points: Points::ZERO }),
        Event::PointsRedeemed(PointsRedemption { points: Points::new(10) }),
        Event::CourierNotified,
        Event::Refunded(RefundReceipt { amount: Money::ZERO }),
        Event::CompensationRefused { detail: "x".into() },
    ];
    // Restores and refunds of every amount the mutations below write, so that a mutated record
    // is unreachable because of what it says, not because no event here could write it.
    for points in [0, 10, 20, 60, 1000] {
        events.push(Event::PointsRestored(PointsRestored { points: Points::new(points) }));
    }
    for amount in [20, 30, 50, 60] {
        let amount = Money::from_minor_units(amount);
        events.push(Event::Charged { receipt: ChargeReceipt { amount }, now_ms: 0 });
        events.push(Event::Refunded(RefundReceipt { amount }));
    }
    for released in 0..=quantity {
        events.push(Event::StockReleased(StockReleased { quantity: released }));
    }
    if let Some(wait) = state.courier_wait() {
        let token = TaskToken::new("t-1").unwrap();
        events.push(Event::CourierAssigned { token: token.clone(), courier: CourierId::new("c-1").unwrap() });
        events.push(Event::CourierUnavailable { token, detail: "x".into() });
        events.push(Event::DeadlinePassed { now_ms: wait.deadline_ms });
    }
    events
}

/// The records of every state reachable from orders of 1 or 2 copies, with and without points.
fn reachable() -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::new();
    for (quantity, redeem) in [(1, false), (1, true), (2, false), (2, true)] {
        let order = Order::from_json(&format!(
            r#"{{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":{quantity},"redeem":{redeem}}}"#
        ))
        .unwrap();
        queue.push_back(CheckoutState::start(CheckoutId::new("ck-1").unwrap(), order));
    }
    while let Some(state) = queue.pop_front() {
        if !seen.insert(state.to_json()) {
            continue;
        }
        let next: Vec<CheckoutState> = match state.next() {
            Next::Finished(_) => Vec::new(),
            Next::Compute => vec![state.clone().compute().unwrap()],
            Next::OpenCourierWait => {
                let token = TaskToken::new("t-1").unwrap();
                vec![state.clone().apply(Event::CourierWaitOpened { token }).unwrap()]
            }
            Next::Run(_) => events(&state).into_iter().filter_map(|e| state.clone().apply(e).ok()).collect(),
        };
        queue.extend(next);
    }
    seen
}

/// Structural changes of one record; `pricings` are every pricing a reachable record has.
fn mutations(record: &Value, pricings: &BTreeSet<String>) -> Vec<Value> {
    let mut out = Vec::new();
    let mut with = |field: &str, value: Value| {
        let mut changed = record.clone();
        changed[field] = value;
        out.push(changed);
    };
    if record.get("owes").is_some() {
        let all = ["refund", "restore-points", "release-stock"];
        let mut stacks = vec![json!([])];
        for a in all {
            stacks.push(json!([a]));
            for b in all {
                stacks.push(json!([a, b]));
                for c in all {
                    stacks.push(json!([a, b, c]));
                }
            }
        }
        for stack in stacks {
            with("owes", stack);
        }
    }
    if record.get("cause").is_some() {
        let causes = [
            json!({"kind": "courier-timed-out", "deadlineMs": 900000}),
            json!({"kind": "courier-unavailable", "detail": "x"}),
            json!({"kind": "step-failed", "effect": "reserve-stock", "detail": "x"}),
            json!({"kind": "step-failed", "effect": "redeem-points", "detail": "x"}),
            json!({"kind": "step-failed", "effect": "charge", "detail": "x"}),
            json!({"kind": "step-failed", "effect": "notify-courier", "detail": "x"}),
        ];
        for cause in causes {
            with("cause", cause);
        }
        for field in ["stock", "points", "money"] {
            for amount in [0, 20, 60, 1000] {
                let mut returned = record["returned"].clone();
                returned[field] = json!(amount);
                with("returned", returned);
            }
        }
        for tag in ["compensating", "compensated", "needs-operator"] {
            with("state", json!(tag));
        }
        let refused = |c: &str| json!({"compensation": c, "detail": "x"});
        let lists = [
            json!([]),
            json!([refused("refund")]),
            json!([refused("restore-points")]),
            json!([refused("release-stock")]),
            json!([refused("refund"), refused("release-stock")]),
            json!([refused("release-stock"), refused("refund")]),
            json!([refused("refund"), refused("refund")]),
            json!([refused("refund"), refused("restore-points"), refused("release-stock")]),
        ];
        for list in lists {
            with("unreturned", list);
        }
    }
    if record.get("pricing").is_some() {
        for pricing in pricings {
            with("pricing", serde_json::from_str(pricing).unwrap());
        }
        with("pricing", Value::Null);
    }
    if record.get("deadlineMs").is_some() {
        for deadline in [0, 899_999, 900_000] {
            with("deadlineMs", json!(deadline));
        }
        for token in [json!(null), json!("t-1"), json!(""), json!("has space")] {
            with("token", token);
        }
    }
    let mut order = record["order"].clone();
    order["redeem"] = json!(!order["redeem"].as_bool().unwrap_or(false));
    with("order", order);
    out
}

#[test]
fn only_records_of_reachable_states_load() {
    let reachable = reachable();
    assert!(reachable.len() > 100, "a real state space: {}", reachable.len());
    let pricings: BTreeSet<String> = reachable
        .iter()
        .filter_map(|json| serde_json::from_str::<Value>(json).unwrap().get("pricing").map(Value::to_string))
        .filter(|pricing| pricing != "null")
        .collect();
    let mut tried = 0;
    for json in &reachable {
        let loaded = CheckoutState::from_json(json).unwrap_or_else(|e| panic!("reachable but refused: {json}: {e}"));
        assert_eq!(&loaded.to_json(), json);
        let record: Value = serde_json::from_str(json).unwrap();
        for mutated in mutations(&record, &pricings) {
            tried += 1;
            if let Ok(state) = CheckoutState::from_json(&mutated.to_string()) {
                let saved = state.to_json();
                assert!(reachable.contains(&saved), "unreachable record loads:\n  {mutated}\n  made from {json}");
            }
        }
    }
    println!("{} reachable records, {tried} mutations tried", reachable.len());
}

/// An out-of-stock rejection must be the store's answer to this order: its quantity, and fewer
/// copies than that. Both the transition and the loader refuse one that contradicts the order.
#[test]
fn rejections_that_contradict_their_order_are_refused() {
    let order = Order::from_json(r#"{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":2}"#).unwrap();
    let placed = CheckoutState::start(CheckoutId::new("ck-1").unwrap(), order.clone());
    let record = |requested: u32, available: u32| {
        json!({"state": "rejected", "checkout": "ck-1", "order": serde_json::to_value(&order).unwrap(),
               "rejection": {"reason": "out-of-stock", "requested": requested, "available": available}})
        .to_string()
    };
    for (requested, available, fits) in
        [(2, 1, true), (2, 0, true), (99, 1, false), (2, 500, false), (2, 2, false), (1, 0, false)]
    {
        let reply = Event::StockUnavailable(Unavailable::OutOfStock { requested, available });
        let applied = placed.clone().apply(reply);
        let loaded = CheckoutState::from_json(&record(requested, available));
        assert_eq!(applied.is_ok(), fits, "requested {requested}, available {available}: {applied:?}");
        assert_eq!(loaded.is_ok(), fits, "requested {requested}, available {available}: {loaded:?}");
        if !fits {
            let refused = applied.unwrap_err();
            assert_eq!(refused.state, placed, "a refused answer leaves the checkout placed");
            assert!(refused.error.to_string().contains("contradicts the order"), "{}", refused.error);
        }
    }
    for other in [Unavailable::UnknownBook, Unavailable::Withdrawn, Unavailable::KeyReused] {
        placed.clone().apply(Event::StockUnavailable(other)).unwrap();
    }
}
