//! The valid counterparts of the compile-fail cases: the same calls in the order the saga
//! allows compile, so each failure above is due to the transition it shows, not the setup.
#[path = "../ui/support/prelude.rs"]
mod prelude;
use prelude::*;

fn main() {
    let Route::RedeemPoints(redeeming) = billing(true) else { return };
    let billing = redeeming.points_redeemed(PointsRedemption { points: Points::new(5) }).unwrap();
    let preparing = billing.charged(ChargeReceipt { amount: Money::from_minor_units(25) }, 0).unwrap();
    let token = checkout_domain::TaskToken::new("t-1").unwrap();
    let preparing = preparing.wait_opened(token.clone()).unwrap();
    let failed = preparing.courier_unavailable(&token, "none free".into()).unwrap();
    let failed = failed.refunded(RefundReceipt { amount: Money::from_minor_units(25) }).unwrap();
    let failed = failed.points_restored(PointsRestored { points: Points::new(5) }).unwrap();
    let failed = failed.stock_released(StockReleased { quantity: 1 }).unwrap();
    let Ending::Compensated(_done) = failed.finish() else { return };

    let Route::Bill(billing) = billing_route(false) else { return };
    let preparing = billing.charged(ChargeReceipt { amount: Money::from_minor_units(30) }, 0).unwrap();
    let token = checkout_domain::TaskToken::new("t-2").unwrap();
    let preparing = preparing.wait_opened(token.clone()).unwrap();
    let notifying = preparing.courier_assigned(&token, checkout_domain::CourierId::new("c-1").unwrap()).unwrap();
    let _dispatched: Dispatched = notifying.courier_notified();
}

fn billing_route(redeem: bool) -> Route {
    prelude::billing(redeem)
}
