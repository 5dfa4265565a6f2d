//! The courier worker: takes courier requests off the queue (in the runner's own process, as
//! the runner sends them), assigns a courier after a delay (or fails to, or its answer is lost,
//! at the rates asked for), and answers with the request's task token.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use checkout_domain::TaskToken;
use checkout_ports::{CourierInbox, CourierRequest, Shop};

use checkout_drive::courier::{answer, WorkerBehaviour};
use checkout_drive::{CourierAnswer, Driver};

/// What a worker has answered lately, so that a request met twice (handed over and then read
/// from the queue, or delivered again by the queue) is answered once. Two generations, aged at
/// each reading of the queue: a token is remembered across one to two readings.
#[derive(Default)]
struct Answered {
    current: HashSet<TaskToken>,
    previous: HashSet<TaskToken>,
}

impl Answered {
    fn first_time(&mut self, token: &TaskToken) -> bool {
        if self.current.contains(token) || self.previous.contains(token) {
            return false;
        }
        self.current.insert(token.clone());
        true
    }

    fn age(&mut self) {
        self.previous = std::mem::take(&mut self.current);
    }
}

/// A worker, wherever its requests come from and its answers go: decides each request once and,
/// after the delay, hands the answer (none, if it is lost) to `reply`.
struct Worker<R> {
    behaviour: WorkerBehaviour,
    rng: fastrand::Rng,
    answered: Answered,
    reply: R,
}

/// How many requests one reading of the queue takes.
const TAKE: usize = 64;

impl<R, F> Worker<R>
where
    R: Fn(CourierRequest, CourierAnswer) -> F,
    F: std::future::Future<Output = ()> + Send + 'static,
{
    fn new(behaviour: WorkerBehaviour, seed: u64, reply: R) -> Worker<R> {
        Worker { behaviour, rng: fastrand::Rng::with_seed(seed), answered: Answered::default(), reply }
    }

    fn handle(&mut self, request: CourierRequest) {
        if !self.answered.first_time(&request.token) {
            return;
        }
        let Some(decision) = answer(&request, &mut self.rng, self.behaviour) else { return };
        let answered = (self.reply)(request, decision);
        let delay_ms = self.behaviour.delay_ms;
        tokio::spawn(async move {
            // A timer ends on the next millisecond tick at the earliest: no delay is no timer.
            if delay_ms > 0 {
                tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            }
            answered.await;
        });
    }

    /// Takes everything on the queue and handles it; returns how many requests it took.
    async fn read_queue<Q: CourierInbox + ?Sized>(&mut self, queue: &Q) -> usize {
        let mut taken = 0;
        loop {
            let requests = match queue.take(TAKE).await {
                Ok(requests) => requests,
                Err(e) => {
                    tracing::warn!(error = %e, "courier worker: cannot read the queue; trying again");
                    Vec::new()
                }
            };
            let count = requests.len();
            taken += count;
            for request in requests {
                self.handle(request);
            }
            if count < TAKE {
                break;
            }
        }
        self.answered.age();
        taken
    }
}

/// How often the in-process worker reads the queue for requests not handed to it (sent before
/// a restart, or by another runner on the same shop).
const QUEUE_SWEEP: Duration = Duration::from_millis(50);

/// Runs the in-process worker until the task is dropped: the runner hands it each request it
/// sends, and its answers go straight to the runner.
pub async fn run_in_process<S: Shop>(runner: Arc<Driver<S>>, behaviour: WorkerBehaviour, seed: u64) {
    let mut handed = runner.hand_courier_requests();
    let shop = Arc::clone(runner.shop());
    let reply = move |request: CourierRequest, decision| {
        let runner = Arc::clone(&runner);
        async move {
            runner.deliver(request.token, decision);
        }
    };
    let mut worker = Worker::new(behaviour, seed, reply);
    let mut sweep = tokio::time::interval(QUEUE_SWEEP);
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            request = handed.recv() => match request {
                Some(request) => worker.handle(request),
                // Another worker took over the runner's requests.
                None => return,
            },
            _ = sweep.tick() => {
                worker.read_queue(shop.as_ref()).await;
            }
        }
    }
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
            let body = crate::serve::CourierReplyBody::of(request.token.clone(), decision);
            if let Err(e) = client.post(&endpoint).json(&body).send().await {
                tracing::warn!(order = %request.order.id(), error = %e, "courier worker: the answer was lost");
            }
        }
    };
    let mut worker = Worker::new(behaviour, seed, reply);
    loop {
        // Another process fills the queue: poll it.
        if worker.read_queue(&queue).await == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use checkout_domain::Order;
    use checkout_memory::MemoryShop;
    use checkout_ports::CourierQueue;
    use tokio::sync::mpsc;

    use super::*;

    fn request(n: u32) -> CourierRequest {
        let order = format!(r#"{{"orderId":"o-{n}","bookId":"b-1","userId":"u-1","quantity":1}}"#);
        CourierRequest {
            token: TaskToken::new(format!("t-{n}")).unwrap(),
            order: Order::from_json(&order).unwrap(),
            deadline_ms: 1_000,
        }
    }

    /// Answers that reach `answers`, in the order given.
    fn worker(
        answers: mpsc::UnboundedSender<TaskToken>,
    ) -> Worker<impl Fn(CourierRequest, CourierAnswer) -> std::future::Ready<()>> {
        let behaviour = WorkerBehaviour { delay_ms: 0, failure_rate: 0.0, loss_rate: 0.0 };
        Worker::new(behaviour, 7, move |request: CourierRequest, _| {
            answers.send(request.token).unwrap();
            std::future::ready(())
        })
    }

    /// Every answer given so far, once the tasks carrying them have run.
    async fn drain(answered: &mut mpsc::UnboundedReceiver<TaskToken>) -> Vec<String> {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        let mut tokens = Vec::new();
        while let Ok(token) = answered.try_recv() {
            tokens.push(token.as_str().to_string());
        }
        tokens
    }

    #[tokio::test]
    async fn a_request_handed_over_and_then_read_from_the_queue_is_answered_once() {
        let shop = MemoryShop::new();
        let (answers, mut answered) = mpsc::unbounded_channel();
        let mut worker = worker(answers);
        for n in 1..=2 {
            shop.send(&request(n)).await.unwrap();
        }
        worker.handle(request(1));
        assert_eq!(worker.read_queue(&shop).await, 2, "both requests were on the queue");
        assert_eq!(drain(&mut answered).await, ["t-1", "t-2"]);
        // Once two readings have passed, the queue delivering a request again is a new request.
        worker.read_queue(&shop).await;
        shop.send(&request(1)).await.unwrap();
        worker.read_queue(&shop).await;
        assert_eq!(drain(&mut answered).await, ["t-1"]);
    }
}
