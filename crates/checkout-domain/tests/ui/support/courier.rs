//! Shared setup for the cases past the point of no return: a checkout whose courier is assigned.
#![allow(dead_code)]

use super::prelude::*;

pub fn notifying() -> NotifyingCourier<OwesPaymentAndStock> {
    let Route::Bill(billing) = billing(false) else { unreachable!("an order without points is billed at once") };
    let preparing = billing.charged(ChargeReceipt { amount: Money::from_minor_units(30) }, 0).unwrap();
    let token = checkout_domain::TaskToken::new("t-1").unwrap();
    let preparing = preparing.wait_opened(token.clone()).unwrap();
    preparing.courier_assigned(&token, checkout_domain::CourierId::new("c-1").unwrap()).unwrap()
}
