//! What the stores answer: the receipts a checkout's transitions take as their arguments.

use serde::{Deserialize, Serialize};

use crate::money::{Money, Points};

/// The stock store took the copies under the order's key; this is the unit price it quoted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockReservation {
    pub unit_price: Money,
}

/// Why the stock store took nothing. Definitive answers, not faults: the checkout ends here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Unavailable {
    OutOfStock {
        requested: u32,
        available: u32,
    },
    UnknownBook,
    /// The order's reservation key was already released, so the store refuses to take under it.
    Withdrawn,
    /// The reservation key already took another book or quantity; a key names one effect.
    KeyReused,
}

/// The points store took this many points (possibly zero) under the order's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PointsRedemption {
    pub points: Points,
}

/// The payment service charged this amount under the order's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChargeReceipt {
    pub amount: Money,
}

/// The stock store gave back this many copies for the key (zero if none had been taken).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StockReleased {
    pub quantity: u32,
}

/// The points store added back this many points for the key (zero if none had been taken).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PointsRestored {
    pub points: Points,
}

/// The payment service refunded this amount for the key (zero if nothing had been charged).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RefundReceipt {
    pub amount: Money,
}
