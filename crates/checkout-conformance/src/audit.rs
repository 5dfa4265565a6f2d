//! What `checkout audit` reads: what every checkout's keys hold, all at once, agrees with what
//! each checkout's keys hold read one by one, whichever way the store reads them.

use crate::StoreCalls;
use std::future::Future;

use checkout_domain::fencing::{Fence, Lease};
use checkout_domain::{CheckoutId, Effect, Money, Points, Quantity};
use checkout_ports::Held;

use crate::{book, key, order, seed, user, Subject};

pub async fn every_checkouts_holdings_read_at_once_agree<S, F, Fut>(make: F)
where
    S: Subject,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    let shop = make().await;
    seed(&shop).await;
    let ids: Vec<CheckoutId> = (0..3).map(|n| CheckoutId::new(format!("ck-{n}")).expect("valid")).collect();
    for (n, id) in ids.iter().enumerate() {
        shop.admit(&order(&format!("o-{n}"), 1), id.clone(), Lease::HELD_BY_HOST).await.expect("admitted");
    }
    let (f, one, two) = (Fence::FIRST, Quantity::new(1).expect("1"), Quantity::new(2).expect("2"));
    // ck-0 takes from every ledger; ck-1 takes a copy and gives it back; ck-2 takes nothing.
    shop.reserve(f, &key(0, Effect::ReserveStock), &book(0), two).await.expect("answered").expect("in stock");
    shop.redeem(f, &key(0, Effect::RedeemPoints), &user(0), Points::new(7)).await.expect("answered");
    shop.charge(f, &key(0, Effect::Charge), &user(0), Money::from_minor_units(45)).await.expect("answered");
    shop.reserve(f, &key(1, Effect::ReserveStock), &book(0), one).await.expect("answered").expect("in stock");
    shop.release(f, &key(1, Effect::ReserveStock), &book(0), one).await.expect("its own take");

    let all = shop.held_by_checkout().await.expect("readable");
    assert_eq!(all.get(&ids[0]).copied(), Some(Held { stock: 2, points: 7, money: 45 }));
    for id in &ids {
        let one_by_one = shop.held(id).await.expect("readable");
        assert_eq!(all.get(id).copied().unwrap_or_default(), one_by_one, "checkout {id}");
    }
}
