//! What the functions log, in a test binary of its own: tracing decides once per log statement
//! whether anyone listens, so tests logging at once in other threads, with no one listening,
//! would hide these lines.

#[path = "functions/common/mod.rs"]
mod common;

use checkout_drive::courier::WorkerBehaviour;
use checkout_lambda::courier::decide;
use checkout_stepfn::invocation::invoke;
use common::{request, runner};
use serde_json::{json, Value};

/// Where a test's log lines go.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_logs_name_orders_and_outcomes_but_never_a_token_or_an_amount() {
    use lambda_runtime::tracing::subscriber;
    let captured = Captured::default();
    let writer = captured.clone();
    let logger = subscriber::fmt().json().with_writer(move || writer.clone()).finish();
    let _logging = lambda_runtime::tracing::subscriber::util::SubscriberInitExt::set_default(logger);

    let runner = runner().await;
    let order = json!({ "orderId": "o-logged", "bookId": "b-1", "userId": "u-rich", "quantity": 1 });
    let billed = invoke(&runner, request("bill", &order, json!({}))).await.unwrap();
    let message =
        json!({ "taskToken": "sfn-secret-token", "waitToken": billed["waitToken"], "order": order, "deadlineMs": 1 });
    let reply =
        decide(&message.to_string(), WorkerBehaviour::default(), &mut fastrand::Rng::with_seed(2)).unwrap().unwrap();
    let courier = json!({ "courier": reply.outcome.unwrap() });
    invoke(&runner, request("dispatch", &order, courier)).await.unwrap();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<Value> = logs.lines().map(|line| serde_json::from_str(line).expect("a JSON line")).collect();
    assert_eq!(lines.len(), 3, "one line per invocation and per request: {logs}");
    assert!(logs.contains("o-logged") && logs.contains("assigned"), "{logs}");
    let wait = billed["waitToken"].as_str().unwrap();
    for secret in [wait, "sfn-secret-token", "token", "amount", "price", "funds", "charge"] {
        assert!(!logs.contains(secret), "the logs show {secret}: {logs}");
    }
}
