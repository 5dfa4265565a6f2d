//! Restoring points before refunding the payment that was taken after them.
use checkout_domain::states::*;
use checkout_domain::{Money, Order};

fn order(redeem: bool) -> Order {
    let json = format!(r#"{{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":1,"redeem":{redeem}}}"#);
    Order::from_json(&json).unwrap()
}

fn billing(redeem: bool) -> Route {
    let reserved = Placed::new(order(redeem)).stock_reserved(StockReservation { unit_price: Money::from_minor_units(30) });
    reserved.calculate_total().unwrap().route()
}

fn main() {
    let Route::RedeemPoints(redeeming) = billing(true) else { return };
    let billing = redeeming.points_redeemed(PointsRedemption { points: checkout_domain::Points::new(5) }).unwrap();
    let failed = billing.billing_failed("declined".into());
    let _ = failed.points_restored(PointsRestored { points: checkout_domain::Points::new(5) });
}
