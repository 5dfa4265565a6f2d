//! Restoring points before refunding the payment that was taken after them.
#[path = "support/prelude.rs"]
mod prelude;
use prelude::*;

fn main() {
    let Route::RedeemPoints(redeeming) = billing(true) else { return };
    let billing = redeeming.points_redeemed(PointsRedemption { points: Points::new(5) }).unwrap();
    let failed = billing.billing_failed("declined".into());
    let _ = failed.points_restored(PointsRestored { points: Points::new(5) });
}
