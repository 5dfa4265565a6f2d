//! Declaring a failed checkout compensated while it still owes its stock back.
#[path = "support/prelude.rs"]
mod prelude;
use prelude::*;

fn main() {
    let failed = Placed::new(ticket(false)).reservation_failed("timeout".into());
    let _done: Compensated = failed.finish();
}
