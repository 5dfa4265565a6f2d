//! [`MemoryShop`]: the whole shop in memory (the store rules of `checkout_domain::stores`, a
//! repository, a courier queue, a notifier and a journal) under one lock, so that every call is
//! one atomic step. What unit tests, the conformance suite's oracle runs and the model of the
//! Step Functions machine drive the shipped step function over. It holds to the ports'
//! conformance suite (`checkout-conformance`) like every other adapter.

mod shop;
pub use shop::{MemoryShop, ShopFaults, ShopState};
