//! Failing a checkout whose courier is assigned: past the point of no return there is no failed
//! state to go to, since the notice may already have reached the courier.
#[path = "support/prelude.rs"]
mod prelude;
#[path = "support/courier.rs"]
mod courier;
use prelude::*;

fn main() {
    let _failed: Failed<OwesPaymentAndStock> = courier::notifying().notice_refused("refused".into());
}
