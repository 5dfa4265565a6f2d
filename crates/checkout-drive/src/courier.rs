//! What a courier worker decides for one request, wherever it runs (the runner's worker in
//! process or over HTTP, the Lambda courier function): a courier assigned, none found, or the
//! answer lost, at the rates asked for. The simulated courier service of this project, kept
//! beside [`CourierAnswer`] so that a deploy unit answering couriers needs nothing else.

use checkout_domain::CourierId;
use checkout_ports::CourierRequest;

use crate::CourierAnswer;

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
