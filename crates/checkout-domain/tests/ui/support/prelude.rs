//! Shared setup for the compile-fail cases: a valid order and the route to billing.
#![allow(dead_code, unused_imports)]

pub use checkout_domain::states::*;
pub use checkout_domain::{CheckoutId, Money, Order, Points};

pub fn ticket(redeem: bool) -> Ticket {
    let json = format!(r#"{{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":1,"redeem":{redeem}}}"#);
    Ticket::new(CheckoutId::new("ck-1").unwrap(), Order::from_json(&json).unwrap())
}

pub fn billing(redeem: bool) -> Route {
    let reserved = Placed::new(ticket(redeem)).stock_reserved(StockReservation { unit_price: Money::from_minor_units(30) });
    reserved.calculate_total().unwrap().route()
}
