//! Dispatching while still waiting for the courier worker.
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
    let Route::Bill(billing) = billing(false) else { return };
    let preparing = billing.charged(ChargeReceipt { amount: Money::from_minor_units(30) }, 0).unwrap();
    let _dispatched = preparing.courier_notified();
}
