//! The coarse phase of a checkout: what the typestates of one step of the saga have in common,
//! and the `state` tag of a persisted record.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::names::wire_name;

/// The coarse phase of a checkout; also the `state` tag of its persisted record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Phase {
    Placed,
    StockReserved,
    Priced,
    RedeemingPoints,
    Billing,
    PreparingOrder,
    NotifyingCourier,
    Dispatched,
    Rejected,
    Compensating,
    Compensated,
    NeedsOperator,
    /// The courier notice was refused for good and may have reached the courier: raised for an
    /// operator with everything still held.
    NoticeUnconfirmed,
    /// An operator closed a checkout raised for them, recording what was done by hand.
    Resolved,
}

/// A phase name that is none of the phases (`checkout list --state`, `?state=`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no state {}: one of placed, stock-reserved, priced, redeeming-points, billing, preparing-order, \
         notifying-courier, dispatched, rejected, compensating, compensated, needs-operator, \
         notice-unconfirmed, resolved", crate::excerpt::excerpt(.0))]
pub struct UnknownPhase(pub String);

/// Reads a phase as it is written (`needs-operator`).
impl std::str::FromStr for Phase {
    type Err = UnknownPhase;
    fn from_str(name: &str) -> Result<Phase, UnknownPhase> {
        serde_json::from_value(serde_json::Value::String(name.to_string())).map_err(|_| UnknownPhase(name.to_string()))
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&wire_name(self, None))
    }
}
