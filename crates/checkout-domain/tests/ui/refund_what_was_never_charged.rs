//! Running a refund on a checkout that failed before it was ever billed.
#[path = "support/prelude.rs"]
mod prelude;
use prelude::*;

fn main() {
    let failed = Placed::new(ticket(false)).reservation_failed("timeout".into());
    let _ = failed.refunded(RefundReceipt { amount: Money::from_minor_units(30) });
}
