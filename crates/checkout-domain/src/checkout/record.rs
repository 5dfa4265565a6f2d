//! The persisted form of a checkout: one tagged JSON record per state. Serde refuses a record
//! with a missing or foreign field; loading then checks what serde cannot — that the fields agree
//! with each other and with the order — and refuses a record the saga could never have written.

use std::marker::PhantomData;

use serde::{Deserialize, Serialize};

use crate::checkout::{CheckoutState, Phase};
use crate::excerpt::excerpt;
use crate::money::{Money, Points};
use crate::order::{CheckoutId, CourierId, Order};
use crate::protocol::{Effect, TaskToken, Unavailable};
use crate::states::transitions::{points_cap, rejection_fits};
use crate::states::*;

/// A checkout as it is stored: the `state` tag and exactly the fields that state has.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case", rename_all_fields = "camelCase", deny_unknown_fields)]
pub enum CheckoutRecord {
    Placed {
        checkout: CheckoutId,
        order: Order,
    },
    StockReserved {
        checkout: CheckoutId,
        order: Order,
        unit_price: Money,
    },
    Priced {
        checkout: CheckoutId,
        order: Order,
        pricing: Pricing,
    },
    RedeemingPoints {
        checkout: CheckoutId,
        order: Order,
        pricing: Pricing,
    },
    Billing {
        checkout: CheckoutId,
        order: Order,
        pricing: Pricing,
        owes: Vec<Compensation>,
    },
    PreparingOrder {
        checkout: CheckoutId,
        order: Order,
        pricing: Pricing,
        deadline_ms: u64,
        /// None until the runtime opens the wait.
        token: Option<TaskToken>,
        owes: Vec<Compensation>,
    },
    NotifyingCourier {
        checkout: CheckoutId,
        order: Order,
        pricing: Pricing,
        courier: CourierId,
        owes: Vec<Compensation>,
    },
    Dispatched {
        checkout: CheckoutId,
        order: Order,
        pricing: Pricing,
        courier: CourierId,
    },
    Rejected {
        checkout: CheckoutId,
        order: Order,
        rejection: Unavailable,
    },
    NoticeUnconfirmed {
        checkout: CheckoutId,
        order: Order,
        pricing: Pricing,
        courier: CourierId,
        detail: String,
    },
    Compensating {
        checkout: CheckoutId,
        order: Order,
        /// The price, once known when the checkout failed; it bounds what can come back.
        pricing: Option<Pricing>,
        cause: FailureCause,
        returned: Returned,
        unreturned: Vec<Unreturned>,
        owes: Vec<Compensation>,
    },
    Compensated {
        checkout: CheckoutId,
        order: Order,
        /// The price, once known when the checkout failed; it bounds what can come back.
        pricing: Option<Pricing>,
        cause: FailureCause,
        returned: Returned,
    },
    NeedsOperator {
        checkout: CheckoutId,
        order: Order,
        /// The price, once known when the checkout failed; it bounds what can come back.
        pricing: Option<Pricing>,
        cause: FailureCause,
        returned: Returned,
        unreturned: Vec<Unreturned>,
    },
    /// An operator's resolution, over the record of the state the checkout was raised in
    /// (`needs-operator` or `notice-unconfirmed`), kept whole.
    Resolved {
        raised: Box<CheckoutRecord>,
        resolution: Resolution,
    },
}

/// A well-formed record whose fields describe no state the saga can be in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("persisted checkout in state {state} is inconsistent: {detail}")]
pub struct StateError {
    pub state: Phase,
    pub detail: String,
}

/// Why a persisted checkout could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("persisted checkout is not valid JSON of the expected shape: {0}")]
    Json(String),
    #[error(transparent)]
    State(#[from] StateError),
}

/// The consistency checks of one record, which names its state in every error.
struct Check {
    state: Phase,
}

impl Check {
    fn fail<T>(&self, detail: impl Into<String>) -> Result<T, StateError> {
        Err(StateError { state: self.state, detail: excerpt(&detail.into()) })
    }

    /// The pricing follows from the order, and names redeemed points only where the order has
    /// reached the redemption (`after_redemption`) and asked for it.
    fn pricing(&self, order: &Order, pricing: Pricing, after_redemption: bool) -> Result<Pricing, StateError> {
        if !pricing.is_consistent_with(order) {
            let quantity = order.quantity().get();
            return self.fail(format!("pricing {pricing:?} does not follow from quantity {quantity}"));
        }
        if pricing.points_redeemed != Points::ZERO && !(after_redemption && order.redeem_points()) {
            return self.fail("points are redeemed for an order that has not redeemed any");
        }
        Ok(pricing)
    }

    /// The holds a forward state owes follow from the order and whether it has been charged;
    /// returns whether points are among them.
    fn forward_owes(&self, order: &Order, owes: &[Compensation], charged: bool) -> Result<bool, StateError> {
        let mut expected = Vec::new();
        if charged {
            expected.push(Compensation::Refund);
        }
        if order.redeem_points() {
            expected.push(Compensation::RestorePoints);
        }
        expected.push(Compensation::ReleaseStock);
        if owes != expected {
            return self.fail(format!("owes {owes:?} but this order's holds are {expected:?}"));
        }
        Ok(order.redeem_points())
    }

    /// The failure's cause fixes what the checkout owed when it failed: what it still owes must
    /// be the oldest part of that (compensations run newest first), nothing can have come back
    /// beyond what its holds took (none from a hold it never had), and what was refused for good is among the
    /// compensations already run, each once, in the order they ran, with nothing back from it.
    fn failure(&self, failure: &Failure, owes: &[Compensation]) -> Result<(), StateError> {
        use Compensation as C;
        let Failure { order, pricing, cause, returned, unreturned } = failure;
        let (order, returned) = (*order, *returned);
        let (charged, redeemed) = match cause {
            FailureCause::TotalOverflow { .. } | FailureCause::StepFailed { effect: Effect::ReserveStock, .. } => {
                (false, false)
            }
            FailureCause::StepFailed { effect: Effect::RedeemPoints, .. } => {
                if !order.redeem_points() {
                    return self.fail("failed redeeming points for an order that redeems none");
                }
                (false, true)
            }
            // Past the point of no return nothing fails (see `NotifyingCourier`). Runners before
            // it wrote such records; loading one refuses, so an operator settles it by hand
            // rather than a runner refunding an order a courier may be collecting.
            FailureCause::StepFailed { effect: Effect::NotifyCourier, .. } => {
                return self.fail("a checkout cannot fail at the courier notice, which may have reached the courier");
            }
            FailureCause::StepFailed { effect: Effect::Charge, .. } | FailureCause::CourierUnavailable { .. } => {
                (true, order.redeem_points())
            }
            FailureCause::CourierTimedOut { deadline_ms } => {
                self.deadline(*deadline_ms)?;
                (true, order.redeem_points())
            }
            FailureCause::Cancelled { at: Phase::Placed | Phase::StockReserved | Phase::Priced } => (false, false),
            FailureCause::Cancelled { at: Phase::RedeemingPoints } => {
                if !order.redeem_points() {
                    return self.fail("cancelled while redeeming points for an order that redeems none");
                }
                (false, true)
            }
            FailureCause::Cancelled { at: Phase::Billing | Phase::PreparingOrder } => (true, order.redeem_points()),
            FailureCause::Cancelled { at } => {
                return self.fail(format!("a checkout cannot be cancelled when it is {at}"));
            }
        };
        // A checkout that failed at the redemption or later had its price; before, it had none.
        let priced = redeemed || charged;
        match pricing {
            Some(p) if priced => {
                self.pricing(order, *p, charged)?;
            }
            None if !priced => {}
            _ => {
                return self.fail(format!("a checkout that failed so has {} pricing", if priced { "a" } else { "no" }))
            }
        }
        // Nothing can come back from a hold the checkout never had.
        let due = match pricing {
            Some(p) if charged => p.amount_due,
            _ => Money::ZERO,
        };
        let points_cap = points_cap(pricing.as_ref(), cause);
        if returned.money > due || returned.points > points_cap {
            return self.fail(format!(
                "{} refunded and {} points restored, but at most {} was charged and {} points taken",
                returned.money.minor_units(),
                returned.points.get(),
                due.minor_units(),
                points_cap.get()
            ));
        }
        let owed: Vec<C> = [(charged, C::Refund), (redeemed, C::RestorePoints), (true, C::ReleaseStock)]
            .into_iter()
            .filter_map(|(owed, c)| owed.then_some(c))
            .collect();
        if !owed.ends_with(owes) {
            return self
                .fail(format!("owes {owes:?}, but a checkout that failed so owed {owed:?}, given back newest first"));
        }
        let run = &owed[..owed.len() - owes.len()];
        let mut tried = run.iter();
        for refused in *unreturned {
            if !tried.any(|c| *c == refused.compensation) {
                return self.fail(format!(
                    "{:?} is listed as refused, but the compensations run so far are {run:?}, each once",
                    refused.compensation
                ));
            }
            if !nothing_back(returned, refused.compensation) {
                return self
                    .fail(format!("{:?} is listed as refused, yet it gave something back", refused.compensation));
            }
        }
        Ok(())
    }

    /// A courier deadline is set at a charge, `COURIER_WAIT_MS` after it, so never earlier.
    fn deadline(&self, deadline_ms: u64) -> Result<u64, StateError> {
        if deadline_ms < COURIER_WAIT_MS {
            return self.fail(format!("the courier deadline {deadline_ms} ms is before any charge could have set it"));
        }
        Ok(deadline_ms)
    }

    /// What was returned fits the order, and nothing came back from a compensation still owed.
    fn returned(&self, order: &Order, returned: Returned, owes: &[Compensation]) -> Result<Returned, StateError> {
        let quantity = order.quantity().get();
        if returned.stock > quantity {
            return self.fail(format!("{} copies returned for an order of {quantity}", returned.stock));
        }
        if owes.iter().any(|c| !nothing_back(returned, *c)) {
            return self.fail("something was returned by a compensation that is still owed");
        }
        Ok(returned)
    }
}

/// What a failed record says about how its checkout failed and what came back.
struct Failure<'a> {
    order: &'a Order,
    pricing: Option<Pricing>,
    cause: &'a FailureCause,
    returned: Returned,
    unreturned: &'a [Unreturned],
}

/// Whether `returned` shows nothing given back by `compensation`.
fn nothing_back(returned: Returned, compensation: Compensation) -> bool {
    match compensation {
        Compensation::ReleaseStock => returned.stock == 0,
        Compensation::RestorePoints => returned.points == Points::ZERO,
        Compensation::Refund => returned.money == Money::ZERO,
    }
}

impl CheckoutRecord {
    pub fn phase(&self) -> Phase {
        match self {
            CheckoutRecord::Placed { .. } => Phase::Placed,
            CheckoutRecord::StockReserved { .. } => Phase::StockReserved,
            CheckoutRecord::Priced { .. } => Phase::Priced,
            CheckoutRecord::RedeemingPoints { .. } => Phase::RedeemingPoints,
            CheckoutRecord::Billing { .. } => Phase::Billing,
            CheckoutRecord::PreparingOrder { .. } => Phase::PreparingOrder,
            CheckoutRecord::NotifyingCourier { .. } => Phase::NotifyingCourier,
            CheckoutRecord::Dispatched { .. } => Phase::Dispatched,
            CheckoutRecord::Rejected { .. } => Phase::Rejected,
            CheckoutRecord::Compensating { .. } => Phase::Compensating,
            CheckoutRecord::Compensated { .. } => Phase::Compensated,
            CheckoutRecord::NeedsOperator { .. } => Phase::NeedsOperator,
            CheckoutRecord::NoticeUnconfirmed { .. } => Phase::NoticeUnconfirmed,
            CheckoutRecord::Resolved { .. } => Phase::Resolved,
        }
    }
}

impl TryFrom<CheckoutRecord> for CheckoutState {
    type Error = StateError;

    fn try_from(record: CheckoutRecord) -> Result<CheckoutState, StateError> {
        use crate::states::Compensation as C;
        use CheckoutRecord as R;
        let check = Check { state: record.phase() };
        Ok(match record {
            R::Placed { checkout, order } => Placed { ticket: Ticket::new(checkout, order) }.into(),
            R::StockReserved { checkout, order, unit_price } => {
                StockReserved { ticket: Ticket::new(checkout, order), unit_price }.into()
            }
            R::Priced { checkout, order, pricing } => {
                let pricing = check.pricing(&order, pricing, false)?;
                Priced { ticket: Ticket::new(checkout, order), pricing }.into()
            }
            R::RedeemingPoints { checkout, order, pricing } => {
                let pricing = check.pricing(&order, pricing, false)?;
                if !order.redeem_points() {
                    return check.fail("the order does not ask to redeem points");
                }
                RedeemingPoints { ticket: Ticket::new(checkout, order), pricing }.into()
            }
            R::Billing { checkout, order, pricing, owes } => {
                let pricing = check.pricing(&order, pricing, true)?;
                if check.forward_owes(&order, &owes, false)? {
                    Billing::<OwesPointsAndStock> { ticket: Ticket::new(checkout, order), pricing, owed: PhantomData }
                        .into()
                } else {
                    Billing::<OwesStock> { ticket: Ticket::new(checkout, order), pricing, owed: PhantomData }.into()
                }
            }
            R::PreparingOrder { checkout, order, pricing, deadline_ms, token, owes } => {
                let pricing = check.pricing(&order, pricing, true)?;
                let deadline_ms = check.deadline(deadline_ms)?;
                if check.forward_owes(&order, &owes, true)? {
                    PreparingOrder::<OwesPaymentPointsAndStock> {
                        ticket: Ticket::new(checkout, order),
                        pricing,
                        deadline_ms,
                        token: token.clone(),
                        owed: PhantomData,
                    }
                    .into()
                } else {
                    PreparingOrder::<OwesPaymentAndStock> {
                        ticket: Ticket::new(checkout, order),
                        pricing,
                        deadline_ms,
                        token: token.clone(),
                        owed: PhantomData,
                    }
                    .into()
                }
            }
            R::NotifyingCourier { checkout, order, pricing, courier, owes } => {
                let pricing = check.pricing(&order, pricing, true)?;
                if check.forward_owes(&order, &owes, true)? {
                    NotifyingCourier::<OwesPaymentPointsAndStock> {
                        ticket: Ticket::new(checkout, order),
                        pricing,
                        courier,
                        owed: PhantomData,
                    }
                    .into()
                } else {
                    NotifyingCourier::<OwesPaymentAndStock> {
                        ticket: Ticket::new(checkout, order),
                        pricing,
                        courier,
                        owed: PhantomData,
                    }
                    .into()
                }
            }
            R::Dispatched { checkout, order, pricing, courier } => {
                let pricing = check.pricing(&order, pricing, true)?;
                Dispatched { ticket: Ticket::new(checkout, order), pricing, courier }.into()
            }
            R::NoticeUnconfirmed { checkout, order, pricing, courier, detail } => {
                let pricing = check.pricing(&order, pricing, true)?;
                NoticeUnconfirmed { ticket: Ticket::new(checkout, order), pricing, courier, detail }.into()
            }
            R::Rejected { checkout, order, rejection } => {
                if let Err(detail) = rejection_fits(&order, rejection) {
                    return check.fail(format!("the rejection contradicts the order: {detail}"));
                }
                Rejected { ticket: Ticket::new(checkout, order), reason: rejection }.into()
            }
            R::Compensating { checkout, order, pricing, cause, returned, unreturned, owes } => {
                let returned = check.returned(&order, returned, &owes)?;
                if owes.contains(&C::RestorePoints) && !order.redeem_points() {
                    return check.fail("owes points to an order that never redeemed any");
                }
                let failure = Failure { order: &order, pricing, cause: &cause, returned, unreturned: &unreturned };
                // First which stack it is, then whether the cause allows it, then the state.
                let stack_error =
                    || check.fail(format!("owes {owes:?}, which is not a stack of holds a checkout can build"));
                let shape = match owes.as_slice() {
                    [] => 0,
                    [C::ReleaseStock] => 1,
                    [C::RestorePoints, C::ReleaseStock] => 2,
                    [C::Refund, C::ReleaseStock] => 3,
                    [C::Refund, C::RestorePoints, C::ReleaseStock] => 4,
                    _ => return stack_error(),
                };
                check.failure(&failure, &owes)?;
                let ticket = Ticket::new(checkout, order);
                macro_rules! failed {
                    ($owed:ty) => {
                        Failed::<$owed> { ticket, pricing, cause, returned, unreturned, owed: PhantomData }.into()
                    };
                }
                match shape {
                    0 => failed!(Settled),
                    1 => failed!(OwesStock),
                    2 => failed!(OwesPointsAndStock),
                    3 => failed!(OwesPaymentAndStock),
                    _ => failed!(OwesPaymentPointsAndStock),
                }
            }
            R::Compensated { checkout, order, pricing, cause, returned } => {
                let returned = check.returned(&order, returned, &[])?;
                check.failure(&Failure { order: &order, pricing, cause: &cause, returned, unreturned: &[] }, &[])?;
                Compensated { ticket: Ticket::new(checkout, order), pricing, cause, returned }.into()
            }
            R::NeedsOperator { checkout, order, pricing, cause, returned, unreturned } => {
                let returned = check.returned(&order, returned, &[])?;
                if unreturned.is_empty() {
                    return check.fail("nothing is listed as refused; such a checkout is compensated");
                }
                check.failure(
                    &Failure { order: &order, pricing, cause: &cause, returned, unreturned: &unreturned },
                    &[],
                )?;
                NeedsOperator { ticket: Ticket::new(checkout, order), pricing, cause, returned, unreturned }.into()
            }
            // The raised record is loaded with all its own checks, then resolved by the same
            // transition an operator's resolution takes.
            R::Resolved { raised, resolution } => match CheckoutState::try_from(*raised)? {
                CheckoutState::NeedsOperator(raised) => match raised.resolve(resolution) {
                    Ok(resolved) => resolved.into(),
                    Err(refused) => return check.fail(refused.error.to_string()),
                },
                CheckoutState::NoticeUnconfirmed(raised) => raised.resolve(resolution).into(),
                other => {
                    return check.fail(format!("resolved from {}, which is not raised for an operator", other.phase()))
                }
            },
        })
    }
}
