//! The courier worker, triggered by the courier request queue (see `checkout_lambda::courier`).
//! A message it cannot answer is reported as a batch item failure, so SQS delivers it again and,
//! after a few receives, moves it to the dead-letter queue.

use std::sync::{Arc, Mutex};

use checkout_lambda::courier::{decide, send};
use checkout_runner::worker::WorkerBehaviour;
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    // JSON lines when the function's log format is JSON (the template sets it).
    lambda_runtime::tracing::init_default_subscriber();
    // Built once per cold start; endpoint and region from the usual AWS variables.
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let sfn = aws_sdk_sfn::Client::new(&config);
    let rng = Arc::new(Mutex::new(fastrand::Rng::new()));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let (sfn, rng) = (sfn.clone(), Arc::clone(&rng));
        async move {
            let mut failures = Vec::new();
            for record in event.payload["Records"].as_array().into_iter().flatten() {
                let id = record["messageId"].as_str().unwrap_or_default().to_string();
                let body = record["body"].as_str().unwrap_or_default();
                let decided = {
                    let mut rng = rng.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                    decide(body, WorkerBehaviour { delay_ms: 0, ..WorkerBehaviour::default() }, &mut rng)
                };
                let answered = match decided {
                    Ok(Some(reply)) => send(&sfn, &reply).await,
                    Ok(None) => Ok(()),
                    Err(e) => Err(e),
                };
                if answered.is_err() {
                    failures.push(json!({ "itemIdentifier": id }));
                }
            }
            Ok::<Value, lambda_runtime::Diagnostic>(json!({ "batchItemFailures": failures }))
        }
    }))
    .await
}
