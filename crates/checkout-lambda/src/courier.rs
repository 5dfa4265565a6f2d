//! The courier worker: each courier request the queue hands it is answered to the task waiting
//! for it. A request delivered twice is answered twice; Step Functions takes the first answer
//! and refuses the second (the task is over), which the worker counts as done.

use std::time::Duration;

use checkout_domain::excerpt::excerpt;
use checkout_drive::courier::{answer, WorkerBehaviour};
use checkout_drive::CourierAnswer;
use checkout_stepfn::contract::{CourierAssigned, CourierMessage, CourierUnavailable, COURIER_UNAVAILABLE};
use lambda_runtime::tracing;
use serde_json::Value;

/// What the worker sends back for one request.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    /// Step Functions' token of the waiting task.
    pub task_token: String,
    /// `Ok(output)` for `SendTaskSuccess`, `Err((error, cause))` for `SendTaskFailure`.
    pub outcome: Result<Value, (String, String)>,
}

/// Why a queue message was not answered; the message goes back to the queue.
#[derive(Debug, thiserror::Error)]
pub enum CourierError {
    /// The body is not what the generated machine sends (an excerpt of the parser's reason).
    #[error("not a courier request: {0}")]
    NotARequest(String),
    /// Step Functions refused the answer, with its error code.
    #[error("Step Functions refused the answer: {0}")]
    Refused(String),
}

/// Decides the reply to one queue message (its body is what the generated machine sends), or
/// `None` if the answer is lost (the task then times out), or says why the message cannot be
/// answered (it goes back to the queue, and after a few receives to the dead-letter queue).
pub fn decide(body: &str, behaviour: WorkerBehaviour, rng: &mut fastrand::Rng) -> Result<Option<Reply>, CourierError> {
    let CourierMessage { task_token, request } =
        serde_json::from_str(body).map_err(|e| CourierError::NotARequest(excerpt(&e.to_string())))?;
    let wait = request.token.clone();
    let decided = answer(&request, rng, behaviour);
    let said = match &decided {
        None => "lost",
        Some(CourierAnswer::Assigned(_)) => "assigned",
        Some(CourierAnswer::Unavailable(_)) => "no courier",
    };
    // One line per request: the order and the answer, never a token.
    tracing::info!(order = request.order.id().as_str(), answer = said);
    let outcome = match decided {
        None => return Ok(None),
        Some(CourierAnswer::Assigned(courier)) => Ok(CourierAssigned { courier, wait_token: wait }.output()),
        Some(CourierAnswer::Unavailable(detail)) => {
            let cause = CourierUnavailable { wait_token: wait, detail };
            Err((COURIER_UNAVAILABLE.to_string(), cause.cause()))
        }
    };
    Ok(Some(Reply { task_token, outcome }))
}

/// The Step Functions token of the task a queue message asks to answer, if it names one (a
/// message that is no courier request may still name the task, which then hears of it).
pub fn task_token(body: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Named {
        task_token: String,
    }
    serde_json::from_str::<Named>(body).ok().map(|named| named.task_token)
}

/// Whether Step Functions' error code says the task is over already (answered, timed out).
fn task_is_over(code: &str) -> bool {
    code == "TaskTimedOut" || code == "TaskDoesNotExist"
}

/// Runs `search` (finding a courier, which may take a while) and meanwhile tells Step Functions
/// every `every` that the worker is still on the task of `task_token`, since the wait fails when
/// its heartbeat stops. `None` if the task ended meanwhile (timed out, or answered by another
/// delivery of the request): nothing is left to answer.
pub async fn beating<T>(
    sfn: &aws_sdk_sfn::Client,
    task_token: &str,
    every: Duration,
    search: impl std::future::Future<Output = T>,
) -> Option<T> {
    tokio::pin!(search);
    let mut beats = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tokio::select! {
            found = &mut search => return Some(found),
            _ = beats.tick() => {
                match sfn.send_task_heartbeat().task_token(task_token).send().await {
                    Ok(_) => {}
                    Err(e) => match error_code(e) {
                        code if task_is_over(&code) => return None,
                        // The next beat may get through before the heartbeat runs out.
                        code => tracing::warn!(error = code, "a heartbeat was not taken"),
                    },
                }
            }
        }
    }
}

/// The service's error code, or `unknown`.
fn error_code<E: aws_sdk_sfn::error::ProvideErrorMetadata, R>(error: aws_sdk_sfn::error::SdkError<E, R>) -> String {
    match error.as_service_error() {
        Some(service) => service.code().unwrap_or("unknown").to_string(),
        None => "unknown".to_string(),
    }
}

/// Sends `reply` to Step Functions. A task that is over already (answered, timed out) is done.
pub async fn send(sfn: &aws_sdk_sfn::Client, reply: &Reply) -> Result<(), CourierError> {
    let sent = match &reply.outcome {
        Ok(output) => sfn
            .send_task_success()
            .task_token(&reply.task_token)
            .output(output.to_string())
            .send()
            .await
            .map(|_| ())
            .map_err(error_code),
        Err((error, cause)) => sfn
            .send_task_failure()
            .task_token(&reply.task_token)
            .error(error)
            .cause(cause)
            .send()
            .await
            .map(|_| ())
            .map_err(error_code),
    };
    match sent {
        Ok(()) => Ok(()),
        Err(code) if task_is_over(&code) => Ok(()),
        Err(code) => Err(CourierError::Refused(code)),
    }
}
