//! Amounts the saga moves: money in integer minor units (cents) and loyalty points. Never floats;
//! every operation that could overflow or go below zero is checked and reported as an error.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Arithmetic on money or points that has no valid answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("{amount} minor units times {factor} does not fit in 64 bits")]
    Overflow { amount: u64, factor: u32 },
    #[error("{points} points exceed the total of {total} minor units")]
    PointsExceedTotal { points: u64, total: u64 },
}

/// Money in minor units of the store's currency (e.g. cents).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = u64))]
pub struct Money(u64);

/// Loyalty points. One point pays for one minor unit of money.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = u64))]
pub struct Points(u64);

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_minor_units(units: u64) -> Money {
        Money(units)
    }

    pub const fn minor_units(self) -> u64 {
        self.0
    }

    /// `self * factor`, or an error naming both numbers when it does not fit.
    pub fn times(self, factor: u32) -> Result<Money, AmountError> {
        self.0.checked_mul(u64::from(factor)).map(Money).ok_or(AmountError::Overflow { amount: self.0, factor })
    }

    /// What is left to pay after `points` pay part of `self`; an error if they exceed it.
    pub fn less_points(self, points: Points) -> Result<Money, AmountError> {
        self.0
            .checked_sub(points.0)
            .map(Money)
            .ok_or(AmountError::PointsExceedTotal { points: points.0, total: self.0 })
    }

    /// The largest number of points that can pay towards `self`.
    pub fn as_points_cap(self) -> Points {
        Points(self.0)
    }
}

impl Points {
    pub const ZERO: Points = Points(0);

    pub const fn new(points: u64) -> Points {
        Points(points)
    }

    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl fmt::Display for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} points", self.0)
    }
}
