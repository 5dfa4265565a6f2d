//! The step function's three actions over the in-memory shop, as the state machine invokes them:
//! `bill` leaves the courier request to the machine, `dispatch` takes the courier's answer,
//! `compensate` takes what the machine caught, and every outcome is the error the machine's
//! Retry and Catch match.

use std::sync::Arc;

use checkout_domain::{BookId, Money, TaskToken, UserId};
use checkout_drive::world::RealWorld;
use checkout_drive::Driver;
use checkout_engine::{Engine, Policy};
use checkout_memory::MemoryShop;
use checkout_ports::{CourierInbox, ShopAdmin};
use checkout_stepfn::contract::{
    CourierAssigned, CourierUnavailable, BAD_ANSWER, COMPENSATED, COURIER_UNAVAILABLE, DISPATCHED, REJECTED,
};
use checkout_stepfn::invocation::{invoke, Request};
use serde_json::{json, Value};

async fn runner() -> Driver<MemoryShop> {
    let shop = MemoryShop::new();
    shop.stock_book(&BookId::new("b-1").unwrap(), 3, Money::from_minor_units(1_000)).await.unwrap();
    shop.open_customer(&UserId::new("u-1").unwrap(), 10_000, 0).await.unwrap();
    Driver::new(Arc::new(shop), Engine::new(Policy::default(), 1), RealWorld::new(1))
}

fn request(action: &str, order: &str, extra: Value) -> Request {
    let order = json!({ "orderId": order, "bookId": "b-1", "userId": "u-1", "quantity": 1 });
    let mut request = json!({ "action": action, "order": order });
    request.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
    serde_json::from_value(request).unwrap()
}

/// Bills `order`: the wait's token, which the machine's courier request carries.
async fn billed(runner: &Driver<MemoryShop>, order: &str) -> TaskToken {
    let billed = invoke(runner, request("bill", order, json!({}))).await.unwrap();
    TaskToken::new(billed["waitToken"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn bill_then_dispatch_with_the_courier_the_worker_assigned() {
    let runner = runner().await;
    let wait = billed(&runner, "o-1").await;
    assert!(runner.shop().take(10).await.unwrap().is_empty(), "the machine sends the courier request, not bill");
    let answer = CourierAssigned { courier: checkout_domain::CourierId::new("c-1").unwrap(), wait_token: wait };
    let dispatched = invoke(&runner, request("dispatch", "o-1", json!({ "courier": answer.output() }))).await.unwrap();
    assert_eq!(dispatched["outcome"], "dispatched");
    // The same order started again under another name: already dispatched, nothing taken twice.
    let again = invoke(&runner, request("bill", "o-1", json!({}))).await.unwrap_err();
    assert_eq!(again.name, DISPATCHED);
    let balances = runner.shop().balances().await.unwrap();
    assert_eq!(balances.stock[&BookId::new("b-1").unwrap()], 2);
}

#[tokio::test]
async fn an_answer_the_checkout_cannot_read_or_refuses_is_a_bad_answer() {
    let runner = runner().await;
    let wait = billed(&runner, "o-1").await;
    for courier in [json!({ "courier": "c-1" }), json!("c-1"), json!({ "courier": "c-1", "waitToken": "" })] {
        let refused = invoke(&runner, request("dispatch", "o-1", json!({ "courier": courier }))).await.unwrap_err();
        assert_eq!(refused.name, BAD_ANSWER, "{courier}");
    }
    let other = CourierAssigned {
        courier: checkout_domain::CourierId::new("c-1").unwrap(),
        wait_token: TaskToken::new("another-wait").unwrap(),
    };
    let refused = invoke(&runner, request("dispatch", "o-1", json!({ "courier": other.output() }))).await.unwrap_err();
    assert_eq!(refused.name, BAD_ANSWER, "another wait's answer");
    // The checkout still waits for its own.
    let answer = CourierAssigned { courier: checkout_domain::CourierId::new("c-1").unwrap(), wait_token: wait };
    assert!(invoke(&runner, request("dispatch", "o-1", json!({ "courier": answer.output() }))).await.is_ok());
}

#[tokio::test]
async fn compensate_after_no_courier_or_a_timeout_gives_everything_back() {
    let runner = runner().await;
    let wait = billed(&runner, "o-1").await;
    let cause = CourierUnavailable { wait_token: wait, detail: "no courier nearby".into() };
    let failure = json!({ "Error": COURIER_UNAVAILABLE, "Cause": cause.cause() });
    let ended = invoke(&runner, request("compensate", "o-1", json!({ "failure": failure }))).await.unwrap_err();
    assert_eq!(ended.name, COMPENSATED);

    billed(&runner, "o-2").await;
    let timed_out = json!({ "Error": "States.Timeout", "Cause": "" });
    let ended = invoke(&runner, request("compensate", "o-2", json!({ "failure": timed_out }))).await.unwrap_err();
    assert_eq!(ended.name, COMPENSATED);
    let balances = runner.shop().balances().await.unwrap();
    assert_eq!(balances.stock[&BookId::new("b-1").unwrap()], 3, "both copies back on the shelf");
    assert_eq!(balances.funds[&UserId::new("u-1").unwrap()], 10_000, "both charges refunded");
}

#[tokio::test]
async fn an_order_that_cannot_be_filled_or_read_is_rejected() {
    let runner = runner().await;
    let mut big = request("bill", "o-big", json!({}));
    big.order["quantity"] = json!(50);
    assert_eq!(invoke(&runner, big).await.unwrap_err().name, REJECTED);
    let mut unreadable = request("bill", "o-bad", json!({}));
    unreadable.order["quantity"] = json!(-1);
    assert_eq!(invoke(&runner, unreadable).await.unwrap_err().name, REJECTED);
    assert_eq!(invoke(&runner, request("refund-everything", "o-1", json!({}))).await.unwrap_err().name, REJECTED);
}
