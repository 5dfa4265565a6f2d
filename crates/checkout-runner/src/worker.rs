//! The courier worker: takes courier requests off the queue, assigns a courier after a delay (or
//! fails to, or its answer is lost, at the rates asked for), and answers with the request's
//! task token.

use std::sync::Arc;
use std::time::Duration;

use checkout_domain::CourierId;
use checkout_ports::{CourierInbox, CourierRequest, Shop};

use checkout_drive::{CourierAnswer, Runner};

/// How the worker behaves.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WorkerBehaviour {
    /// How long finding a courier takes, in real milliseconds.
    pub delay_ms: u64,
    /// The share of requests for which no courier is found.
    pub failure_rate: f64,
    /// The share of answers that are lost on the way back.
    pub loss_rate: f64,
}

impl Default for WorkerBehaviour {
    fn default() -> WorkerBehaviour {
        WorkerBehaviour { delay_ms: 20, failure_rate: 0.0, loss_rate: 0.0 }
    }
}

/// What the worker decides for one request.
pub fn answer(request: &CourierRequest, rng: &mut fastrand::Rng, behaviour: WorkerBehaviour) -> Option<CourierAnswer> {
    if rng.f64() < behaviour.loss_rate {
        return None;
    }
    if rng.f64() < behaviour.failure_rate {
        return Some(CourierAnswer::Unavailable("no courier free near the shop".into()));
    }
    // Couriers are picked by the order's book, so the same order always goes to the same one.
    let courier = format!("courier-{}", request.order.book().as_str().len() % 7 + 1);
    Some(CourierAnswer::Assigned(CourierId::new(courier).expect("a valid id")))
}

/// The worker's loop, wherever its answers go: takes requests off `queue`, decides each, and
/// after the delay hands each answer (none, if it is lost) to `reply`; with the queue empty, waits
/// for `idle`. Runs until dropped.
async fn work<Q, R, F, W>(queue: &Q, behaviour: WorkerBehaviour, seed: u64, reply: R, idle: impl Fn() -> W)
where
    Q: CourierInbox + ?Sized,
    R: Fn(CourierRequest, CourierAnswer) -> F,
    F: std::future::Future<Output = ()> + Send + 'static,
    W: std::future::Future<Output = ()>,
{
    let mut rng = fastrand::Rng::with_seed(seed);
    loop {
        let requests = match queue.take(64).await {
            Ok(requests) => requests,
            Err(e) => {
                eprintln!("courier worker: cannot read the queue ({e}); trying again");
                Vec::new()
            }
        };
        if requests.is_empty() {
            idle().await;
            continue;
        }
        for request in requests {
            let Some(decision) = answer(&request, &mut rng, behaviour) else { continue };
            let answered = reply(request, decision);
            tokio::spawn(async move {
                // A timer ends on the next millisecond tick at the earliest: no delay is no timer.
                if behaviour.delay_ms > 0 {
                    tokio::time::sleep(Duration::from_millis(behaviour.delay_ms)).await;
                }
                answered.await;
            });
        }
    }
}

/// Runs the in-process worker until the task is dropped: its answers go straight to `runner`.
pub async fn run_in_process<S: Shop>(runner: Arc<Runner<S>>, behaviour: WorkerBehaviour, seed: u64) {
    let shop = Arc::clone(runner.shop());
    let waker = Arc::clone(&runner);
    let reply = move |request: CourierRequest, decision| {
        let runner = Arc::clone(&runner);
        async move {
            runner.deliver(request.token, decision);
        }
    };
    // Woken by the runner when it sends a request; the poll is only a fallback.
    let idle = move || {
        let waker = Arc::clone(&waker);
        async move { waker.courier_request_sent(Duration::from_millis(50)).await }
    };
    work(shop.as_ref(), behaviour, seed, reply, idle).await;
}

/// Why the courier process stopped.
#[derive(Debug, thiserror::Error)]
pub enum CourierError {
    #[error("the courier worker cannot start an HTTP client: {0}")]
    Client(String),
}

/// Runs the worker as its own process's job: requests from the shop's queue, answers posted to
/// the server at `url` (`POST /courier/replies`). An answer that cannot be posted is lost, as a
/// courier's reply can be; the checkout's deadline takes care of it.
pub async fn run_over_http<Q: CourierInbox>(
    queue: Q,
    url: String,
    behaviour: WorkerBehaviour,
    seed: u64,
) -> Result<(), CourierError> {
    let client = reqwest::Client::builder().build().map_err(|e| CourierError::Client(e.to_string()))?;
    let endpoint = format!("{}/courier/replies", url.trim_end_matches('/'));
    println!("courier worker answering {endpoint}");
    let reply = move |request: CourierRequest, decision| {
        let (client, endpoint) = (client.clone(), endpoint.clone());
        async move {
            let body = match decision {
                CourierAnswer::Assigned(courier) => {
                    serde_json::json!({ "token": request.token.as_str(), "courier": courier.as_str() })
                }
                CourierAnswer::Unavailable(reason) => {
                    serde_json::json!({ "token": request.token.as_str(), "unavailable": reason })
                }
            };
            if let Err(e) = client.post(&endpoint).json(&body).send().await {
                eprintln!("courier worker: the answer for order {} was lost: {e}", request.order.id());
            }
        }
    };
    // Another process fills the queue: poll it.
    let idle = || tokio::time::sleep(Duration::from_millis(10));
    work(&queue, behaviour, seed, reply, idle).await;
    Ok(())
}
