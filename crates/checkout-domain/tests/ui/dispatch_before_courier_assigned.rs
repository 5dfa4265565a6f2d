//! Dispatching while still waiting for the courier worker.
#[path = "support/prelude.rs"]
mod prelude;
use prelude::*;

fn main() {
    let Route::Bill(billing) = billing(false) else { return };
    let preparing = billing.charged(ChargeReceipt { amount: Money::from_minor_units(30) }, 0).unwrap();
    let _dispatched = preparing.courier_notified();
}
