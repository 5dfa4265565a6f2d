//! Taking two different transitions from the same state.
#[path = "support/prelude.rs"]
mod prelude;
use prelude::*;

fn main() {
    let placed = Placed::new(ticket(false));
    let _reserved = placed.stock_reserved(StockReservation { unit_price: Money::from_minor_units(30) });
    let _rejected = placed.stock_unavailable(Unavailable::UnknownBook);
}
