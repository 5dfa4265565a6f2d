//! Building an end state directly instead of reaching it through the transitions.
#[path = "support/prelude.rs"]
mod prelude;
use prelude::*;

fn main() {
    let _forged = Dispatched { ticket: ticket(false) };
}
