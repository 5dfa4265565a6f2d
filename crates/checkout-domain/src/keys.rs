//! Idempotency keys and task tokens. Every side effect the saga asks for carries a key derived
//! only from the order id and the step, so a retried, duplicated or replayed command names the
//! same effect and a store that honours the key applies it at most once. A compensation uses the
//! key of the effect it undoes: it gives back exactly what was taken under that key, or nothing.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::order::OrderId;

/// The forward side effects of a checkout, each of which has one key per order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Effect {
    ReserveStock,
    RedeemPoints,
    Charge,
    NotifyCourier,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::ReserveStock => "reserve-stock",
            Effect::RedeemPoints => "redeem-points",
            Effect::Charge => "charge",
            Effect::NotifyCourier => "notify-courier",
        }
    }
}

/// `<order id>:<effect>`: the same for every attempt of the same effect of the same order.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EffectKey(String);

impl EffectKey {
    pub fn new(order: &OrderId, effect: Effect) -> EffectKey {
        EffectKey(format!("{order}:{}", effect.as_str()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Names the one courier-preparation wait of an order; the worker's reply must carry it back.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TaskToken(String);

impl TaskToken {
    pub fn for_order(order: &OrderId) -> TaskToken {
        TaskToken(format!("{order}:prepare-order"))
    }

    /// Wraps a token received from outside (a queue message, a Step Functions callback).
    pub fn from_received(token: impl Into<String>) -> TaskToken {
        TaskToken(token.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EffectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for TaskToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
