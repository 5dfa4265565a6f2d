//! Shared setup for the compile-fail cases: a valid order and the route to billing.
#![allow(dead_code, unused_imports)]

pub use checkout_domain::states::*;
pub use checkout_domain::{Money, Order, Points};

pub fn order(redeem: bool) -> Order {
    let json = format!(r#"{{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":1,"redeem":{redeem}}}"#);
    Order::from_json(&json).unwrap()
}

pub fn billing(redeem: bool) -> Route {
    let reserved = Placed::new(order(redeem)).stock_reserved(StockReservation { unit_price: Money::from_minor_units(30) });
    reserved.calculate_total().unwrap().route()
}
