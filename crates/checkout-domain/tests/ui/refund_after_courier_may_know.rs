//! Refunding a checkout whose notice was refused for good: the courier may have been told, so
//! nothing is given back except by an operator.
#[path = "support/prelude.rs"]
mod prelude;
#[path = "support/courier.rs"]
mod courier;
use prelude::*;

fn main() {
    let unconfirmed = courier::notifying().notice_refused("refused".into());
    let _ = unconfirmed.refunded(RefundReceipt { amount: Money::from_minor_units(30) });
}
