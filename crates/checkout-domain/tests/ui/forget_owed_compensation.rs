//! Dropping a hold from the type of a failed checkout.
#[path = "support/prelude.rs"]
mod prelude;
use prelude::*;

fn main() {
    let Route::Bill(billing) = billing(false) else { return };
    let _failed: Failed<OwesStock> = billing.billing_failed("declined".into());
}
