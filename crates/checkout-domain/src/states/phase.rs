//! The coarse phase of a checkout: what the typestates of one step of the saga have in common,
//! and the `state` tag of a persisted record.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::names::wire_name;

/// The coarse phase of a checkout; also the `state` tag of its persisted record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
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

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&wire_name(self, None))
    }
}
