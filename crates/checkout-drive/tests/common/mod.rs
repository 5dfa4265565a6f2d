//! What the drive tests share: a stocked in-memory shop, orders, and a runner over it.

#![allow(dead_code)]

use std::sync::Arc;

use checkout_domain::fencing::Lease;
use checkout_domain::{BookId, CheckoutId, Money, Order, UserId};
use checkout_drive::world::RealWorld;
use checkout_drive::{Driver, World};
use checkout_engine::{Engine, Policy};
use checkout_memory::MemoryShop;
use checkout_ports::{CheckoutRepository, ShopAdmin};

/// A shop with 100 copies of `b-1` at 30 and a customer `u-1` who can pay for all of them.
pub async fn stocked() -> MemoryShop {
    let shop = MemoryShop::new();
    shop.stock_book(&BookId::new("b-1").unwrap(), 100, Money::from_minor_units(30)).await.unwrap();
    shop.open_customer(&UserId::new("u-1").unwrap(), 10_000, 0).await.unwrap();
    shop
}

/// Order `o-{n}`: one copy of `b-1` for `u-1`.
pub fn order(n: usize) -> Order {
    Order::from_json(&format!(r#"{{"orderId":"o-{n}","bookId":"b-1","userId":"u-1","quantity":1}}"#)).unwrap()
}

/// Admits order `o-{n}` as checkout `ck-{n}` under `lease`.
pub async fn admit(shop: &MemoryShop, n: usize, lease: Lease) -> CheckoutId {
    shop.admit(&order(n), CheckoutId::new(format!("ck-{n}")).unwrap(), lease).await.unwrap().checkout().clone()
}

/// A runner over `shop` with the default policy, on `world`.
pub fn runner_on<W: World>(shop: Arc<MemoryShop>, world: W) -> Arc<Driver<MemoryShop, W>> {
    Arc::new(Driver::new(shop, Engine::new(Policy::default(), 1), world))
}

/// A clock at the wall clock's speed: the courier's 15-minute deadline does not pass in a test,
/// so a checkout left without an answer waits for the whole test.
pub fn real_time() -> RealWorld {
    RealWorld::new(1)
}
