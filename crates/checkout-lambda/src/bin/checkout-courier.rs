//! The courier worker, triggered by the courier request queue (see `checkout_lambda::courier`).
//! A message it cannot answer is reported as a batch item failure, so SQS delivers it again and,
//! after a few receives, moves it to the dead-letter queue. While it searches for a courier
//! (`COURIER_SEARCH_MS`, 0 unless set) it sends the waiting task a heartbeat a third of the
//! machine's heartbeat period apart.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use checkout_drive::courier::WorkerBehaviour;
use checkout_lambda::courier::{beating, decide, send, task_token};
use checkout_stepfn::contract::COURIER_HEARTBEAT_S;
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    // JSON lines when the function's log format is JSON (the template sets it).
    lambda_runtime::tracing::init_default_subscriber();
    // Built once per cold start; endpoint and region from the usual AWS variables.
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let sfn = aws_sdk_sfn::Client::new(&config);
    let rng = Arc::new(Mutex::new(fastrand::Rng::new()));
    let search =
        Duration::from_millis(std::env::var("COURIER_SEARCH_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(0));
    let every = Duration::from_secs(COURIER_HEARTBEAT_S) / 3;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let (sfn, rng) = (sfn.clone(), Arc::clone(&rng));
        async move {
            let mut failures = SqsBatchResponse::default();
            for record in &event.payload.records {
                let id = record.message_id.clone().unwrap_or_default();
                let body = record.body.as_deref().unwrap_or_default();
                let find = async {
                    tokio::time::sleep(search).await;
                    let mut rng = rng.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                    decide(body, WorkerBehaviour { delay_ms: 0, ..WorkerBehaviour::default() }, &mut rng)
                };
                let decided = match task_token(body) {
                    Some(token) => beating(&sfn, &token, every, find).await,
                    None => Some(find.await),
                };
                let answered = match decided {
                    // The task ended while the search went on: nothing to answer.
                    None => Ok(()),
                    Some(Ok(Some(reply))) => send(&sfn, &reply).await,
                    Some(Ok(None)) => Ok(()),
                    Some(Err(e)) => Err(e),
                };
                if let Err(error) = answered {
                    // The reason and the message's id; never its body, which holds a token.
                    lambda_runtime::tracing::warn!(message = %id, %error, "not answered; SQS delivers it again");
                    let mut failure = BatchItemFailure::default();
                    failure.item_identifier = id;
                    failures.batch_item_failures.push(failure);
                }
            }
            Ok::<SqsBatchResponse, lambda_runtime::Diagnostic>(failures)
        }
    }))
    .await
}
