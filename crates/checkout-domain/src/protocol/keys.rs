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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// Names one courier wait; the worker's reply must carry it back, and only the wait that holds
/// it accepts it. The domain never makes one: the runtime issues it when the wait opens (a random
/// token, or the one Step Functions hands out), so nobody can derive it from an order or checkout
/// id. Shared, not copied, like the ids: it travels in every courier message.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TaskToken(Arc<str>);

/// The longest task token accepted: Step Functions' own tokens are at most this long.
pub const MAX_TOKEN_LEN: usize = 1024;

/// Why a string is not a task token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("a task token must not be empty")]
    Empty,
    #[error("a task token is at most {MAX_TOKEN_LEN} bytes, this one has {0}")]
    TooLong(usize),
    /// Names where, never what: the text may be a live token with a byte added, and whoever
    /// reads it back could answer the wait.
    #[error("a task token is printable ASCII without spaces; byte {at} of this one is not")]
    NotPrintable { at: usize },
}

impl TaskToken {
    /// Checks a token received from outside (a queue message, an HTTP body, Step Functions).
    pub fn new(token: impl AsRef<str>) -> Result<TaskToken, TokenError> {
        let token = token.as_ref();
        if token.is_empty() {
            return Err(TokenError::Empty);
        }
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::TooLong(token.len()));
        }
        if let Some(at) = token.bytes().position(|b| !b.is_ascii_graphic()) {
            return Err(TokenError::NotPrintable { at });
        }
        Ok(TaskToken(token.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TaskToken {
    type Error = TokenError;
    fn try_from(token: String) -> Result<TaskToken, TokenError> {
        TaskToken::new(token)
    }
}

impl From<TaskToken> for String {
    fn from(token: TaskToken) -> String {
        token.0.to_string()
    }
}

/// A token is a secret of its wait: debug output shows only its first characters.
impl fmt::Debug for TaskToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: String = self.0.chars().take(4).collect();
        write!(f, "TaskToken({shown}…)")
    }
}
