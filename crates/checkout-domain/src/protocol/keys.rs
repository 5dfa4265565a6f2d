//! Idempotency keys and task tokens. Every side effect the saga asks for carries a key derived
//! only from the checkout's id and the step, so a retried, duplicated or replayed command names the
//! same effect and a store that honours the key applies it at most once. A compensation uses the
//! key of the effect it undoes: it gives back exactly what was taken under that key, or nothing.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::names::wire_name;
use crate::order::CheckoutId;

/// The forward side effects of a checkout, each of which has one key per order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Effect {
    ReserveStock,
    RedeemPoints,
    Charge,
    NotifyCourier,
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&wire_name(self, None))
    }
}

/// `<checkout id>:<effect>`: the same for every attempt of the same effect of the same checkout.
/// Held as its two parts; written as one string on the wire.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(into = "String")]
pub struct EffectKey {
    checkout: CheckoutId,
    effect: Effect,
}

impl EffectKey {
    pub fn new(checkout: &CheckoutId, effect: Effect) -> EffectKey {
        EffectKey { checkout: checkout.clone(), effect }
    }

    pub fn checkout(&self) -> &CheckoutId {
        &self.checkout
    }

    pub fn effect(&self) -> Effect {
        self.effect
    }
}

impl fmt::Display for EffectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.checkout, self.effect)
    }
}

impl From<EffectKey> for String {
    fn from(key: EffectKey) -> String {
        key.to_string()
    }
}

/// Why a string is not an effect key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an effect key of the form <checkout id>:<effect>")]
pub struct KeyError(String);

impl std::str::FromStr for EffectKey {
    type Err = KeyError;
    fn from_str(text: &str) -> Result<EffectKey, KeyError> {
        let bad = || KeyError(text.chars().take(80).collect());
        let (checkout, effect) = text.split_once(':').ok_or_else(bad)?;
        let checkout = CheckoutId::new(checkout).map_err(|_| bad())?;
        let effect = serde_json::from_value(serde_json::Value::String(effect.into())).map_err(|_| bad())?;
        Ok(EffectKey { checkout, effect })
    }
}

impl<'de> Deserialize<'de> for EffectKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}

/// Names the one courier-preparation wait of a checkout; the worker's reply must carry it back.
/// Shared, not copied, like the ids: it travels in every courier message.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub struct TaskToken(Arc<str>);

impl TaskToken {
    pub fn for_checkout(checkout: &CheckoutId) -> TaskToken {
        TaskToken(format!("{checkout}:prepare-order").into())
    }

    /// Wraps a token received from outside (a queue message, a Step Functions callback).
    pub fn from_received(token: impl Into<String>) -> TaskToken {
        TaskToken(token.into().into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<String> for TaskToken {
    fn from(token: String) -> TaskToken {
        TaskToken::from_received(token)
    }
}

impl From<TaskToken> for String {
    fn from(token: TaskToken) -> String {
        token.0.to_string()
    }
}

impl fmt::Display for TaskToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
