//! The AWS calls the step function makes on each path of the machine, counted by the SDK
//! interceptor on its shop; they must match `checkout_asl::cost`, which the cost table in
//! `docs/cost.md` is written from.

use std::collections::BTreeMap;

use crate::common::{request, runner};
use checkout_asl::cost::{Path, PATHS};
use checkout_aws::AwsShop;
use checkout_drive::Driver;
use checkout_stepfn::invocation::invoke;
use serde_json::json;

/// Runs the step function's invocations of `path` for a fresh order, returning the calls made.
async fn calls_of(runner: &Driver<AwsShop>, path: &Path, n: usize) -> BTreeMap<String, u64> {
    let user = if path.name == "charge declined" { "u-poor" } else { "u-rich" };
    let quantity = if path.name == "out of stock" { 50 } else { 1 };
    let order = json!({ "orderId": format!("o-{n}"), "bookId": "b-1", "userId": user, "quantity": quantity });
    let before = runner.shop().calls().snapshot();
    let billed = invoke(runner, request("bill", &order, json!({}))).await;
    match path.name {
        "dispatched" => {
            let billed = billed.unwrap();
            let courier = json!({ "courier": { "courier": "c-1", "waitToken": billed["waitToken"] } });
            invoke(runner, request("dispatch", &order, courier)).await.unwrap();
        }
        "courier timed out" | "no courier" => {
            let billed = billed.unwrap();
            let failure = if path.name == "no courier" {
                let cause = json!({ "waitToken": billed["waitToken"], "detail": "none free" }).to_string();
                json!({ "Error": "Courier.Unavailable", "Cause": cause })
            } else {
                json!({ "Error": "States.Timeout", "Cause": "" })
            };
            invoke(runner, request("compensate", &order, json!({ "failure": failure }))).await.unwrap_err();
        }
        _ => {
            billed.unwrap_err();
        }
    }
    let after = runner.shop().calls().snapshot();
    after
        .into_iter()
        .map(|(op, k)| (op.clone(), k - before.get(&op).copied().unwrap_or(0)))
        .filter(|(_, k)| *k > 0)
        .collect()
}

#[tokio::test]
async fn the_step_function_makes_the_calls_the_cost_table_counts() {
    let runner = runner().await;
    println!("| path | TransactGetItems | TransactWriteItems | Publish |\n|---|---|---|---|");
    let mut differ = Vec::new();
    for (n, path) in PATHS.iter().enumerate() {
        let calls = calls_of(&runner, path, n).await;
        let get = |op: &str| calls.get(op).copied().unwrap_or(0);
        let measured = (get("dynamodb:TransactGetItems"), get("dynamodb:TransactWriteItems"), get("sns:Publish"));
        println!("| {} | {} | {} | {} |", path.name, measured.0, measured.1, measured.2);
        if measured != (path.dynamodb_reads, path.dynamodb_writes, path.sns_publishes) {
            differ.push(path.name);
        }
        let counted = ["dynamodb:TransactGetItems", "dynamodb:TransactWriteItems", "sns:Publish"];
        let others: Vec<_> = calls.keys().filter(|op| !counted.contains(&op.as_str())).collect();
        assert!(others.is_empty(), "{}: {others:?}", path.name);
    }
    assert!(differ.is_empty(), "measured calls differ from checkout_asl::cost for {differ:?}");
}
