//! Copies of the generated state machine broken on purpose, each in one place, with the
//! properties its model must then break: what shows the model sees that kind of routing error.

use serde_json::{json, Value};

use crate::routing::{COMPENSATED, REPLY_LOST, RETRY};

/// A copy of the generated definition broken in one place, and the properties that must then fail.
pub struct Corruption {
    pub name: &'static str,
    pub breaks: &'static [&'static str],
    /// Faults per run the error needs to show.
    pub faults: u8,
    /// Whether the step function runs the engine as before the point of no return
    /// ([`crate::before_no_return`]): a weakened engine beside the corrupted definition.
    pub notice_gives_up: bool,
    corrupt: fn(&mut Value),
}

impl Corruption {
    /// `definition`, corrupted.
    pub fn apply(&self, definition: &Value) -> Value {
        let mut corrupted = definition.clone();
        (self.corrupt)(&mut corrupted);
        corrupted
    }
}

const FAILS_NAMING_ITS_END: &str = "an execution that fails names its checkout's end";
const COURIER_TOLD: &str = "a courier collects only what is sold";

/// Dispatch's retrier of every error gives up after its second attempt, then its catch goes to
/// Compensate, as the machine before the point of no return did.
fn dispatch_gives_up(d: &mut Value) {
    for retrier in d["States"]["Dispatch"]["Retry"].as_array_mut().into_iter().flatten() {
        if retrier["ErrorEquals"][0] == "States.ALL" {
            retrier["MaxAttempts"] = Value::from(1);
        }
    }
}

/// The corruptions the tests and `docs/proofs.md` check.
pub fn corruptions() -> Vec<Corruption> {
    vec![
        Corruption {
            name: "WaitForCourier's catch sends a failed wait straight to Rejected",
            breaks: &["a failed execution leaves nothing taken", FAILS_NAMING_ITS_END],
            faults: 2,
            notice_gives_up: false,
            corrupt: |d| d["States"]["WaitForCourier"]["Catch"][0]["Next"] = Value::from("Rejected"),
        },
        Corruption {
            name: "WaitForCourier has no TimeoutSeconds",
            breaks: &["every execution ends"],
            faults: 2,
            notice_gives_up: false,
            corrupt: |d| {
                if let Some(wait) = d["States"]["WaitForCourier"].as_object_mut() {
                    wait.remove("TimeoutSeconds");
                }
            },
        },
        Corruption {
            name: "Bill's Checkout.Compensated is caught to Rejected",
            breaks: &[FAILS_NAMING_ITS_END],
            faults: 2,
            notice_gives_up: false,
            corrupt: |d| {
                for catch in d["States"]["Bill"]["Catch"].as_array_mut().into_iter().flatten() {
                    if catch["ErrorEquals"][0] == COMPENSATED {
                        catch["Next"] = Value::from("Rejected");
                    }
                }
            },
        },
        Corruption {
            name: "Compensate retries only what the function reports as transient (the first generated machine)",
            breaks: &[FAILS_NAMING_ITS_END],
            faults: 2,
            notice_gives_up: false,
            corrupt: |d| {
                d["States"]["Compensate"]["Retry"] =
                    json!([{ "ErrorEquals": [RETRY, REPLY_LOST], "MaxAttempts": 99_999_999 }]);
            },
        },
        Corruption {
            name: "no AlreadyDispatched catch (the first generated machine)",
            breaks: &[FAILS_NAMING_ITS_END],
            faults: 2,
            notice_gives_up: false,
            corrupt: |d| {
                for state in ["Bill", "Compensate"] {
                    if let Some(catches) = d["States"][state]["Catch"].as_array_mut() {
                        catches.retain(|c| c["Next"] != "AlreadyDispatched");
                    }
                }
            },
        },
        // Dispatch giving up as before the point of no return: over the shipped step function
        // it harms nothing (Compensate finds no failure transition past the courier and
        // dispatches); with the engine as it was, a notified order is refunded and restocked.
        Corruption {
            name: "Dispatch gives the notice up after 2 attempts, over the shipped step function",
            breaks: &[],
            faults: 2,
            notice_gives_up: false,
            corrupt: dispatch_gives_up,
        },
        Corruption {
            name: "Dispatch gives the notice up after 2 attempts, and Compensate compensates a notified order \
                   (the machine and engine before the point of no return)",
            breaks: &[COURIER_TOLD],
            faults: 2,
            notice_gives_up: true,
            corrupt: dispatch_gives_up,
        },
        Corruption {
            // Reaching Compensate with nothing taken takes three failed Bills.
            name: "Compensate does not catch Checkout.Rejected (the first generated machine)",
            breaks: &[FAILS_NAMING_ITS_END],
            faults: 3,
            notice_gives_up: false,
            corrupt: |d| {
                if let Some(catches) = d["States"]["Compensate"]["Catch"].as_array_mut() {
                    catches.retain(|c| c["Next"] != "Rejected");
                }
            },
        },
    ]
}
