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

impl Phase {
    /// Every phase, in the order of the saga (forward, then failed, then ended): what a listing
    /// that names no phase covers. `position` keeps it whole: a new phase does not compile
    /// until it has its place here.
    pub const ALL: [Phase; 14] = [
        Phase::Placed,
        Phase::StockReserved,
        Phase::Priced,
        Phase::RedeemingPoints,
        Phase::Billing,
        Phase::PreparingOrder,
        Phase::NotifyingCourier,
        Phase::Compensating,
        Phase::NeedsOperator,
        Phase::NoticeUnconfirmed,
        Phase::Dispatched,
        Phase::Rejected,
        Phase::Compensated,
        Phase::Resolved,
    ];

    /// Where this phase stands in [`Phase::ALL`].
    pub const fn position(self) -> usize {
        match self {
            Phase::Placed => 0,
            Phase::StockReserved => 1,
            Phase::Priced => 2,
            Phase::RedeemingPoints => 3,
            Phase::Billing => 4,
            Phase::PreparingOrder => 5,
            Phase::NotifyingCourier => 6,
            Phase::Compensating => 7,
            Phase::NeedsOperator => 8,
            Phase::NoticeUnconfirmed => 9,
            Phase::Dispatched => 10,
            Phase::Rejected => 11,
            Phase::Compensated => 12,
            Phase::Resolved => 13,
        }
    }

    /// The phases a checkout raised for an operator is in.
    pub const RAISED: [Phase; 2] = [Phase::NeedsOperator, Phase::NoticeUnconfirmed];
}

/// A phase name that is none of the phases (`checkout list --state`, `?state=`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no state {}: one of {}", crate::excerpt::excerpt(.0), Phase::ALL.map(|p| p.to_string()).join(", "))]
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
