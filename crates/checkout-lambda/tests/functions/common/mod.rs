//! What the step function's tests share: a shop on moto with one book and two customers, a
//! runner over it, and requests shaped as the state machine sends them.

#![allow(dead_code)] // Not every test binary (this one, and logs.rs) uses every helper.

pub mod stack;
pub mod watch;

use std::sync::Arc;

use checkout_aws::moto::MotoServer;
use checkout_aws::AwsShop;
use checkout_domain::{BookId, Money, UserId};
use checkout_drive::world::RealWorld;
use checkout_drive::Driver;
use checkout_engine::{Engine, Policy};
use checkout_ports::ShopAdmin;
use checkout_stepfn::invocation::Request;
use serde_json::{json, Value};

/// A runner over a fresh shop: 3 copies of b-1 at 1,000; u-rich with 10,000, u-poor with 100.
pub async fn runner() -> Driver<AwsShop> {
    let shop = MotoServer::shared().fresh_shop().await.unwrap();
    shop.stock_book(&BookId::new("b-1").unwrap(), 3, Money::from_minor_units(1_000)).await.unwrap();
    shop.open_customer(&UserId::new("u-rich").unwrap(), 10_000, 0).await.unwrap();
    shop.open_customer(&UserId::new("u-poor").unwrap(), 100, 0).await.unwrap();
    Driver::new(Arc::new(shop), Engine::new(Policy::default(), 5), RealWorld::new(1))
}

/// An order of b-1.
pub fn order(id: &str, user: &str, quantity: u32) -> Value {
    json!({ "orderId": id, "bookId": "b-1", "userId": user, "quantity": quantity })
}

/// The machine's request for `action` on `order`, with `extra` fields (courier, failure).
pub fn request(action: &str, order: &Value, extra: Value) -> Request {
    let mut request = json!({ "action": action, "order": order });
    request.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
    serde_json::from_value(request).unwrap()
}
