//! What the drive loop counts and times, through the `metrics` facade: every name in one place.
//! Nothing is recorded unless the binary installs a recorder (`checkout serve` installs
//! Prometheus', read at `/metrics`); the Lambda functions install none, so the calls cost them
//! nothing but a check.
//!
//! | metric | kind | labels |
//! |---|---|---|
//! | `checkout_calls_total` | counter | `command`, `result` (`ok`; `retry`; `failed`: for good, or out of retries) |
//! | `checkout_call_duration_seconds` | histogram | `command` |
//! | `checkout_retries_total` | counter | `command` |
//! | `checkout_compensations_total` | counter | `command` (`refund`, `restore-points`, `release-stock`) |
//! | `checkouts_ended_total` | counter | `outcome` |
//! | `checkouts_in_flight` | gauge | |
//! | `checkout_courier_wait_seconds` | histogram | `answer` (`assigned`, `unavailable`, `deadline`, `ignored`) |
//! | `checkout_cancels_total` | counter | `answer` (`honoured`, `refused`) |
//! | `checkout_resolutions_total` | counter | `answer` (`resolved`, `refused`) |

use std::time::Duration;

use checkout_domain::{Command, Event, Outcome};

/// How a call to a store or the notification service ended, for the drive loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CallResult {
    /// Answered, and the checkout moved on.
    Ok,
    /// Failed, to be tried again.
    Retry,
    /// Failed, and given up: refused for good, or out of retries.
    Failed,
}

impl CallResult {
    fn label(self) -> &'static str {
        match self {
            CallResult::Ok => "ok",
            CallResult::Retry => "retry",
            CallResult::Failed => "failed",
        }
    }
}

/// A call to a store or the notification service, named `name`, has ended as `result`.
pub(crate) fn call(command: &Command, name: &str, took: Duration, result: CallResult) {
    let name = name.to_string();
    metrics::histogram!("checkout_call_duration_seconds", "command" => name.clone()).record(took.as_secs_f64());
    if result == CallResult::Retry {
        metrics::counter!("checkout_retries_total", "command" => name.clone()).increment(1);
    }
    if command.is_compensation() && result == CallResult::Ok {
        metrics::counter!("checkout_compensations_total", "command" => name.clone()).increment(1);
    }
    metrics::counter!("checkout_calls_total", "command" => name, "result" => result.label()).increment(1);
}

/// A checkout's drive ended it.
pub(crate) fn ended(outcome: Outcome) {
    metrics::counter!("checkouts_ended_total", "outcome" => outcome.name()).increment(1);
}

/// How a courier wait ends if the checkout takes `event`: the answer's kind, or the deadline.
pub(crate) fn courier_answer(event: &Event) -> &'static str {
    match event {
        Event::CourierAssigned { .. } => "assigned",
        Event::CourierUnavailable { .. } => "unavailable",
        _ => "deadline",
    }
}

/// A courier wait gave `answer` (see [`courier_answer`], or `ignored`) after `took`.
pub(crate) fn courier_waited(answer: &'static str, took: Duration) {
    metrics::histogram!("checkout_courier_wait_seconds", "answer" => answer).record(took.as_secs_f64());
}

/// A customer's cancel was answered.
pub(crate) fn cancelled(honoured: bool) {
    metrics::counter!("checkout_cancels_total", "answer" => if honoured { "honoured" } else { "refused" }).increment(1);
}

/// An operator's resolution was answered.
pub(crate) fn resolved(taken: bool) {
    metrics::counter!("checkout_resolutions_total", "answer" => if taken { "resolved" } else { "refused" })
        .increment(1);
}

/// Counts a drive in flight from its start to its drop, however it stops.
pub(crate) struct InFlight;

impl InFlight {
    pub(crate) fn start() -> InFlight {
        metrics::gauge!("checkouts_in_flight").increment(1.0);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        metrics::gauge!("checkouts_in_flight").decrement(1.0);
    }
}
