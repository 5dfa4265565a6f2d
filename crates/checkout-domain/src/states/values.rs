//! The values states carry besides their order: the price, what compensation gave back, and why
//! a checkout failed.

use serde::{Deserialize, Serialize};

use crate::money::{AmountError, Money, Points};
use crate::order::Order;
use crate::protocol::Effect;
use crate::states::owes::Compensation;
use crate::states::phase::Phase;

/// How long the saga waits for the courier worker's reply before compensating. The reference
/// waited forever: one lost reply hung the checkout.
pub const COURIER_WAIT_MS: u64 = 15 * 60 * 1000;

/// What compensation has given back so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Returned {
    pub stock: u32,
    pub points: Points,
    pub money: Money,
}

/// A compensation that was refused for good: what it should have given back is still held, and
/// an operator must settle it by hand.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Unreturned {
    pub compensation: Compensation,
    /// The service's reason, as an excerpt.
    pub detail: String,
}

/// The price of an order: `total = unit_price * quantity`, `amount_due = total - points`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Pricing {
    pub unit_price: Money,
    pub total: Money,
    pub points_redeemed: Points,
    pub amount_due: Money,
}

impl Pricing {
    pub(crate) fn new(order: &Order, unit_price: Money) -> Result<Pricing, AmountError> {
        let total = unit_price.times(order.quantity().get())?;
        Ok(Pricing { unit_price, total, points_redeemed: Points::ZERO, amount_due: total })
    }

    pub(crate) fn with_points(self, points: Points) -> Result<Pricing, AmountError> {
        let amount_due = self.total.less_points(points)?;
        Ok(Pricing { points_redeemed: points, amount_due, ..self })
    }

    /// Whether this pricing follows from the order's quantity; used when loading a checkout.
    pub(crate) fn is_consistent_with(&self, order: &Order) -> bool {
        let expected = Pricing::new(order, self.unit_price).and_then(|p| p.with_points(self.points_redeemed));
        expected == Ok(*self)
    }
}

/// Why a checkout is being compensated.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", rename_all_fields = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FailureCause {
    /// The total does not fit in the money type.
    TotalOverflow { detail: String },
    /// A remote step failed for good (declined, or retries exhausted with the outcome unknown).
    StepFailed { effect: Effect, detail: String },
    /// The courier worker answered that it could not prepare the order.
    CourierUnavailable { detail: String },
    /// No courier reply arrived before the deadline.
    CourierTimedOut {
        // As `rename_all_fields` names it; said again for the OpenAPI schema, which reads only this.
        #[serde(rename = "deadlineMs")]
        deadline_ms: u64,
    },
    /// The customer withdrew the order (`checkout cancel`) while the checkout was `at` this
    /// phase, before the point of no return. What it owes is what a failure there owes: a step
    /// in flight when the cancel came (a reservation, a redemption, a charge) counts as taken.
    Cancelled { at: Phase },
}
