//! [`MemoryShop`]: the whole shop in memory (the store rules of `checkout_domain::stores`, a
//! repository, a courier queue, a notifier and a journal) under one lock, so that every call is
//! one atomic step: what the drive's and the step function's tests run on, and what the model of
//! the Step Functions machine drives the shipped step function over (see [`MemoryShop`]). It holds to
//! the ports' conformance suite (`checkout-conformance`) like every other adapter.

mod shop;
pub use shop::{MemoryShop, ShopFaults, ShopState};
