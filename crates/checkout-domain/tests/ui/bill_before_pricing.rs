//! Charging straight after the stock reservation, before the total is known.
#[path = "support/prelude.rs"]
mod prelude;
use prelude::*;

fn main() {
    let reserved = Placed::new(ticket(false)).stock_reserved(StockReservation { unit_price: Money::from_minor_units(30) });
    let _ = reserved.charged(ChargeReceipt { amount: Money::from_minor_units(30) }, 0);
}
