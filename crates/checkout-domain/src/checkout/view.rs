//! The public view of a checkout: what a client, an operator's console or a log may see of it.
//! It is built field by field from the state, never by copying the stored record, so a secret
//! the record keeps (the courier wait's token, which answers the wait) has no field to leak
//! through. A new state must say here, in an exhaustive match, what of it is shown.

use serde::Serialize;

use crate::checkout::{CheckoutRecord, CheckoutState, Next, Outcome, Phase};
use crate::order::{CheckoutId, CourierId, Order};
use crate::protocol::Unavailable;
use crate::states::{Compensation, FailureCause, Pricing, Resolution, Returned, Unreturned};

/// A checkout as anyone who knows its id may see it: no wait token, ever.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckoutView {
    pub checkout: CheckoutId,
    pub order: Order,
    pub state: Phase,
    /// How it ended, once it has (`dispatched`, `rejected`, `compensated`, `needs-operator`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "dispatched"))]
    pub outcome: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Pricing>,
    /// The courier assigned, once one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub courier: Option<CourierId>,
    /// Until when it waits for a courier, while it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub courier_deadline_ms: Option<u64>,
    /// The compensations it owes, newest first, while it compensates.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub owes: Vec<Compensation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<FailureCause>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub returned: Option<Returned>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreturned: Vec<Unreturned>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejection: Option<Unavailable>,
    /// Why a notice past the point of no return was refused, for the operator who settles it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice_refused: Option<String>,
    /// How an operator closed it, once resolved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
}

impl Outcome {
    /// The outcome's name, spelled as everywhere else (`needs-operator`, not `needsoperator`).
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Dispatched => "dispatched",
            Outcome::Rejected => "rejected",
            Outcome::Compensated => "compensated",
            Outcome::NeedsOperator => "needs-operator",
            Outcome::Resolved => "resolved",
        }
    }
}

impl CheckoutState {
    /// The public view of this checkout.
    pub fn view(&self) -> CheckoutView {
        let outcome = match self.next() {
            Next::Finished(outcome) => Some(outcome.name()),
            _ => None,
        };
        let mut view = CheckoutView {
            checkout: self.id().clone(),
            order: self.order().clone(),
            state: self.phase(),
            outcome,
            pricing: None,
            courier: None,
            courier_deadline_ms: None,
            owes: Vec::new(),
            cause: None,
            returned: None,
            unreturned: Vec::new(),
            rejection: None,
            notice_refused: None,
            resolution: None,
        };
        view.fill(self.record());
        view
    }
}

impl CheckoutView {
    /// Shows what `record` holds that anyone may see. A resolved record shows the state it was
    /// raised in, and the resolution.
    fn fill(&mut self, record: CheckoutRecord) {
        use CheckoutRecord as R;
        let view = self;
        match record {
            R::Placed { .. } | R::StockReserved { .. } => {}
            R::Priced { pricing, .. } | R::RedeemingPoints { pricing, .. } | R::Billing { pricing, .. } => {
                view.pricing = Some(pricing);
            }
            // The token answers the wait: it stays in the record, and out of every view.
            R::PreparingOrder { pricing, deadline_ms, token: _, .. } => {
                view.pricing = Some(pricing);
                view.courier_deadline_ms = Some(deadline_ms);
            }
            R::NotifyingCourier { pricing, courier, .. } | R::Dispatched { pricing, courier, .. } => {
                view.pricing = Some(pricing);
                view.courier = Some(courier);
            }
            R::NoticeUnconfirmed { pricing, courier, detail, .. } => {
                view.pricing = Some(pricing);
                view.courier = Some(courier);
                view.notice_refused = Some(detail);
            }
            R::Rejected { rejection, .. } => view.rejection = Some(rejection),
            R::Compensating { pricing, cause, returned, unreturned, owes, .. } => {
                (view.pricing, view.cause, view.returned, view.unreturned, view.owes) =
                    (pricing, Some(cause), Some(returned), unreturned, owes);
            }
            R::Compensated { pricing, cause, returned, .. } => {
                (view.pricing, view.cause, view.returned) = (pricing, Some(cause), Some(returned));
            }
            R::NeedsOperator { pricing, cause, returned, unreturned, .. } => {
                (view.pricing, view.cause, view.returned, view.unreturned) =
                    (pricing, Some(cause), Some(returned), unreturned);
            }
            R::Resolved { raised, resolution } => {
                view.fill(*raised);
                view.resolution = Some(resolution);
            }
        }
    }
}
