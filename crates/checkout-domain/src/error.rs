//! The typed errors of the domain. Each renders as one line that says what was wrong and with
//! which value, so an adapter can hand it to the user unchanged.

use thiserror::Error;

use crate::order::{IdField, MAX_ID_LEN, MAX_QUANTITY};

/// Why an order could not be accepted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OrderError {
    #[error("order is not valid JSON of the expected shape: {detail}")]
    Malformed { detail: String },
    #[error("{field} is empty")]
    EmptyId { field: IdField },
    #[error("{field} is {len} bytes long; at most {MAX_ID_LEN} are allowed")]
    IdTooLong { field: IdField, len: usize },
    #[error("{field} contains {found:?}; only ASCII letters, digits, '-', '_' and '.' are allowed")]
    IdCharacter { field: IdField, found: char },
    #[error("quantity must be a whole number from 1 to {MAX_QUANTITY}, got {got}")]
    Quantity { got: String },
}

/// Arithmetic on money or points that has no valid answer.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AmountError {
    #[error("{amount} minor units times {factor} does not fit in 64 bits")]
    Overflow { amount: u64, factor: u32 },
    #[error("{points} points exceed the total of {total} minor units")]
    PointsExceedTotal { points: u64, total: u64 },
}

/// An event that the current state of a checkout cannot accept. The state is left as it was.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransitionError {
    #[error("a checkout that is {state} cannot take the event {event}")]
    WrongEvent { state: &'static str, event: &'static str },
    #[error("a checkout that is {state} has no pure step to compute")]
    NothingToCompute { state: &'static str },
    #[error("courier reply carries task token {got:?}, but this checkout waits for {expected:?}")]
    WrongToken { expected: String, got: String },
    #[error("the courier deadline is {deadline_ms} ms and it is only {now_ms} ms")]
    NotYetDue { deadline_ms: u64, now_ms: u64 },
    #[error("the payment service charged {charged} minor units but {due} are due")]
    ChargeMismatch { due: u64, charged: u64 },
    #[error("the points service redeemed {redeemed} points but at most {cap} were asked for")]
    RedeemedTooMuch { cap: u64, redeemed: u64 },
    #[error("the stock service returned {returned} copies but the order took at most {quantity}")]
    ReturnedTooMuchStock { quantity: u32, returned: u32 },
}

/// A persisted checkout that does not describe a state the saga can be in.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StateError {
    #[error("persisted checkout in state {state} lacks field {field}")]
    Missing { state: &'static str, field: &'static str },
    #[error("persisted checkout in state {state} must not have field {field}")]
    Unexpected { state: &'static str, field: &'static str },
    #[error("persisted checkout in state {state} is inconsistent: {detail}")]
    Inconsistent { state: &'static str, detail: String },
}
