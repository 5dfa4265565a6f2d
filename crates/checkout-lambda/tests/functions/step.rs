//! The step function's actions and the courier worker's decisions, against the AWS adapters on
//! moto server, invoked as the state machine invokes them (without the Lambda runtime).

use crate::common::{order, request, runner};
use checkout_aws::AwsShop;
use checkout_domain::{BookId, UserId};
use checkout_drive::courier::WorkerBehaviour;
use checkout_drive::Driver;
use checkout_lambda::courier::decide;
use checkout_ports::{Journal, ShopAdmin};
use checkout_stepfn::contract::{BAD_ANSWER, COMPENSATED, REJECTED};
use checkout_stepfn::invocation::{invoke, InvocationError};
use serde_json::{json, Value};

async fn stock_and_funds(runner: &Driver<AwsShop>) -> (u64, u64) {
    let balances = runner.shop().balances().await.unwrap();
    (balances.stock[&BookId::new("b-1").unwrap()], balances.funds[&UserId::new("u-rich").unwrap()])
}

fn error_name(result: Result<Value, InvocationError>) -> &'static str {
    result.expect_err("the checkout did not go on").name
}

#[tokio::test]
async fn billed_twice_and_dispatched_twice_the_checkout_takes_and_dispatches_once() {
    let runner = runner().await;
    let order = order("o-1", "u-rich", 1);
    let billed = invoke(&runner, request("bill", &order, json!({}))).await.unwrap();
    // Step Functions retries a Task whose answer it lost: the same wait, nothing taken twice.
    let again = invoke(&runner, request("bill", &order, json!({}))).await.unwrap();
    assert_eq!(again["waitToken"], billed["waitToken"], "{billed} / {again}");
    assert_eq!(stock_and_funds(&runner).await, (2, 9_000));

    let courier = json!({ "courier": { "courier": "c-1", "waitToken": billed["waitToken"] } });
    let dispatched = invoke(&runner, request("dispatch", &order, courier.clone())).await.unwrap();
    assert_eq!(dispatched["outcome"], "dispatched");
    let again = invoke(&runner, request("dispatch", &order, courier)).await.unwrap();
    assert_eq!(again["outcome"], "dispatched", "a retried dispatch finds it done");
    assert_eq!(stock_and_funds(&runner).await, (2, 9_000));
    let report = checkout_runner::audit::audit(runner.shop().as_ref(), u64::MAX / 4, true).await.unwrap();
    assert!(report.passed(), "{:?}", report.findings);
}

#[tokio::test]
async fn an_order_that_cannot_be_filled_ends_rejected() {
    let runner = runner().await;
    assert_eq!(error_name(invoke(&runner, request("bill", &order("o-big", "u-rich", 5), json!({}))).await), REJECTED);
    let malformed = json!({ "orderId": "o-bad", "bookId": "b-1" });
    assert_eq!(error_name(invoke(&runner, request("bill", &malformed, json!({}))).await), REJECTED);
    assert_eq!(stock_and_funds(&runner).await, (3, 10_000));
}

#[tokio::test]
async fn a_declined_charge_is_compensated_within_bill() {
    let runner = runner().await;
    let result = invoke(&runner, request("bill", &order("o-poor", "u-poor", 1), json!({}))).await;
    assert_eq!(error_name(result), COMPENSATED);
    assert_eq!(stock_and_funds(&runner).await.0, 3, "the copy went back");
}

#[tokio::test]
async fn a_wait_that_times_out_is_compensated_once() {
    let runner = runner().await;
    let order = order("o-late", "u-rich", 2);
    invoke(&runner, request("bill", &order, json!({}))).await.unwrap();
    assert_eq!(stock_and_funds(&runner).await, (1, 8_000));
    let failure = json!({ "failure": { "Error": "States.Timeout", "Cause": "" } });
    assert_eq!(error_name(invoke(&runner, request("compensate", &order, failure.clone())).await), COMPENSATED);
    assert_eq!(stock_and_funds(&runner).await, (3, 10_000), "everything given back");
    assert_eq!(error_name(invoke(&runner, request("compensate", &order, failure)).await), COMPENSATED);
    assert_eq!(stock_and_funds(&runner).await, (3, 10_000), "and only once");
}

#[tokio::test]
async fn a_worker_without_a_courier_fails_the_task_and_the_checkout_is_compensated() {
    let runner = runner().await;
    let order = order("o-nobody", "u-rich", 1);
    let billed = invoke(&runner, request("bill", &order, json!({}))).await.unwrap();
    let message = json!({
        "taskToken": "sfn-token-1",
        "waitToken": billed["waitToken"],
        "order": order,
        "deadlineMs": billed["deadlineMs"],
    });
    let nobody = WorkerBehaviour { delay_ms: 0, failure_rate: 1.0, loss_rate: 0.0 };
    let reply = decide(&message.to_string(), nobody, &mut fastrand::Rng::with_seed(1)).unwrap().unwrap();
    assert_eq!(reply.task_token, "sfn-token-1");
    let (error, cause) = reply.outcome.clone().unwrap_err();
    let failure = json!({ "failure": { "Error": error, "Cause": cause } });
    assert_eq!(error_name(invoke(&runner, request("compensate", &order, failure)).await), COMPENSATED);
    assert_eq!(stock_and_funds(&runner).await, (3, 10_000));
    let id =
        checkout_runner::lookup::Named::order("o-nobody").unwrap().find(runner.shop().as_ref()).await.unwrap().unwrap();
    let history = runner.shop().history(id.id()).await.unwrap();
    assert!(history.iter().any(|e| e.outcome == "courier-unavailable"), "{history:?}");

    // A worker that finds one answers with the courier and the wait it is for.
    let found = decide(&message.to_string(), WorkerBehaviour::default(), &mut fastrand::Rng::with_seed(1)).unwrap();
    assert_eq!(found.unwrap().outcome.unwrap()["waitToken"], billed["waitToken"]);
}

#[tokio::test]
async fn an_answer_for_another_wait_is_not_taken() {
    let runner = runner().await;
    let order = order("o-forged", "u-rich", 1);
    invoke(&runner, request("bill", &order, json!({}))).await.unwrap();
    let forged = json!({ "courier": { "courier": "c-x", "waitToken": "not-the-wait" } });
    // Refused, and not worth retrying: the machine sends it to Compensate at once (a Dispatch that
    // retried it without end would re-claim the checkout forever).
    assert_eq!(error_name(invoke(&runner, request("dispatch", &order, forged)).await), BAD_ANSWER);
    let id =
        checkout_runner::lookup::Named::order("o-forged").unwrap().find(runner.shop().as_ref()).await.unwrap().unwrap();
    assert_eq!(id.phase().to_string(), "preparing-order", "still waiting for its own courier");
}
