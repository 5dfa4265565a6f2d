//! Pricing a checkout whose stock has not been reserved.
#[path = "support/prelude.rs"]
mod prelude;
use prelude::*;

fn main() {
    let placed = Placed::new(ticket(false));
    let _priced = placed.calculate_total();
}
