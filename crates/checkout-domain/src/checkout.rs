//! The erased checkout: one enum over every typestate, for code that must hold "a checkout in
//! whatever state it is" — the orchestrator between steps, a persisted record, the model checker.
//!
//! Its transitions only dispatch to the typestate methods, so there is one copy of the saga's
//! logic. It is persisted as a flat, tagged JSON record; loading one checks that the record
//! describes a state the saga can actually be in, and refuses it otherwise.

use std::marker::PhantomData;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::command::Command;
use crate::error::{StateError, TransitionError};
use crate::keys::TaskToken;
use crate::money::Money;
use crate::order::{CourierId, Order};
use crate::states::*;

/// Declares the erased enum, a `From` conversion from each typestate into it, and the accessor
/// every state has, from one list.
macro_rules! erased_states {
    ($($variant:ident($ty:ty)),* $(,)?) => {
        /// A checkout in any of its states.
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum CheckoutState {
            $($variant($ty),)*
        }

        $(
            impl From<$ty> for CheckoutState {
                fn from(state: $ty) -> CheckoutState {
                    CheckoutState::$variant(state)
                }
            }
        )*

        impl CheckoutState {
            pub fn order(&self) -> &Order {
                match self {
                    $(CheckoutState::$variant(state) => state.order(),)*
                }
            }
        }
    };
}

erased_states!(
    Placed(Placed),
    StockReserved(StockReserved),
    Priced(Priced),
    RedeemingPoints(RedeemingPoints),
    Billing(Billing<OwesStock>),
    BillingAfterPoints(Billing<OwesPointsAndStock>),
    PreparingOrder(PreparingOrder<OwesPaymentAndStock>),
    PreparingOrderAfterPoints(PreparingOrder<OwesPaymentPointsAndStock>),
    NotifyingCourier(NotifyingCourier<OwesPaymentAndStock>),
    NotifyingCourierAfterPoints(NotifyingCourier<OwesPaymentPointsAndStock>),
    Dispatched(Dispatched),
    Rejected(Rejected),
    FailedOwingStock(Failed<OwesStock>),
    FailedOwingPointsAndStock(Failed<OwesPointsAndStock>),
    FailedOwingPaymentAndStock(Failed<OwesPaymentAndStock>),
    FailedOwingPaymentPointsAndStock(Failed<OwesPaymentPointsAndStock>),
    FailedSettled(Failed<Settled>),
    Compensated(Compensated),
);

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
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Placed => "placed",
            Phase::StockReserved => "stock-reserved",
            Phase::Priced => "priced",
            Phase::RedeemingPoints => "redeeming-points",
            Phase::Billing => "billing",
            Phase::PreparingOrder => "preparing-order",
            Phase::NotifyingCourier => "notifying-courier",
            Phase::Dispatched => "dispatched",
            Phase::Rejected => "rejected",
            Phase::Compensating => "compensating",
            Phase::Compensated => "compensated",
        }
    }
}

/// How a checkout ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    Dispatched,
    Rejected,
    Compensated,
}

/// What the orchestrator must do next with a checkout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
    /// Perform this side effect and feed its result back with [`CheckoutState::apply`].
    Run(Command),
    /// Take the pure step with [`CheckoutState::compute`].
    Compute,
    /// Nothing: the checkout has ended.
    Finished(Outcome),
}

/// A result that a side effect (or the courier worker, or the clock) reports to a checkout.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case", rename_all_fields = "camelCase")]
pub enum Event {
    StockReserved(StockReservation),
    StockUnavailable(Unavailable),
    PointsRedeemed(PointsRedemption),
    Charged {
        receipt: ChargeReceipt,
        now_ms: u64,
    },
    CourierAssigned {
        token: TaskToken,
        courier: CourierId,
    },
    CourierUnavailable {
        token: TaskToken,
        detail: String,
    },
    DeadlinePassed {
        now_ms: u64,
    },
    CourierNotified,
    /// The current forward step failed for good: declined, or retries exhausted.
    StepFailed {
        detail: String,
    },
    StockReleased(StockReleased),
    PointsRestored(PointsRestored),
    Refunded(Refund),
}

impl Event {
    pub fn name(&self) -> &'static str {
        match self {
            Event::StockReserved(_) => "stock-reserved",
            Event::StockUnavailable(_) => "stock-unavailable",
            Event::PointsRedeemed(_) => "points-redeemed",
            Event::Charged { .. } => "charged",
            Event::CourierAssigned { .. } => "courier-assigned",
            Event::CourierUnavailable { .. } => "courier-unavailable",
            Event::DeadlinePassed { .. } => "deadline-passed",
            Event::CourierNotified => "courier-notified",
            Event::StepFailed { .. } => "step-failed",
            Event::StockReleased(_) => "stock-released",
            Event::PointsRestored(_) => "points-restored",
            Event::Refunded(_) => "refunded",
        }
    }
}

type Applied = Result<CheckoutState, TransitionError>;

fn accept<S, T: Into<CheckoutState>>(result: Result<T, Refused<S>>) -> Applied {
    result.map(Into::into).map_err(|refused| refused.error)
}

fn apply_billing<O: Owed>(state: Billing<O>, event: Event) -> Option<Applied>
where
    PreparingOrder<Owes<PaymentHeld, O>>: Into<CheckoutState>,
    Failed<Owes<PaymentHeld, O>>: Into<CheckoutState>,
{
    Some(match event {
        Event::Charged { receipt, now_ms } => accept(state.charged(receipt, now_ms)),
        Event::StepFailed { detail } => Ok(state.billing_failed(detail).into()),
        _ => return None,
    })
}

fn apply_preparing<O: Owed>(state: PreparingOrder<O>, event: Event) -> Option<Applied>
where
    NotifyingCourier<O>: Into<CheckoutState>,
    Failed<O>: Into<CheckoutState>,
{
    Some(match event {
        Event::CourierAssigned { token, courier } => accept(state.courier_assigned(&token, courier)),
        Event::CourierUnavailable { token, detail } => accept(state.courier_unavailable(&token, detail)),
        Event::DeadlinePassed { now_ms } => accept(state.deadline_passed(now_ms)),
        _ => return None,
    })
}

fn apply_notifying<O: Owed>(state: NotifyingCourier<O>, event: Event) -> Option<Applied>
where
    Failed<O>: Into<CheckoutState>,
{
    Some(match event {
        Event::CourierNotified => Ok(state.courier_notified().into()),
        Event::StepFailed { detail } => Ok(state.notification_failed(detail).into()),
        _ => return None,
    })
}

impl CheckoutState {
    /// A new checkout for a validated order.
    pub fn start(order: Order) -> CheckoutState {
        Placed::new(order).into()
    }

    pub fn phase(&self) -> Phase {
        use CheckoutState as S;
        match self {
            S::Placed(_) => Phase::Placed,
            S::StockReserved(_) => Phase::StockReserved,
            S::Priced(_) => Phase::Priced,
            S::RedeemingPoints(_) => Phase::RedeemingPoints,
            S::Billing(_) | S::BillingAfterPoints(_) => Phase::Billing,
            S::PreparingOrder(_) | S::PreparingOrderAfterPoints(_) => Phase::PreparingOrder,
            S::NotifyingCourier(_) | S::NotifyingCourierAfterPoints(_) => Phase::NotifyingCourier,
            S::Dispatched(_) => Phase::Dispatched,
            S::Rejected(_) => Phase::Rejected,
            S::FailedOwingStock(_)
            | S::FailedOwingPointsAndStock(_)
            | S::FailedOwingPaymentAndStock(_)
            | S::FailedOwingPaymentPointsAndStock(_)
            | S::FailedSettled(_) => Phase::Compensating,
            S::Compensated(_) => Phase::Compensated,
        }
    }

    /// The compensations this checkout would owe if it failed now (or owes, if it has failed),
    /// newest first.
    pub fn owes(&self) -> Vec<Compensation> {
        use CheckoutState as S;
        match self {
            S::Placed(_) | S::Dispatched(_) | S::Rejected(_) | S::Compensated(_) | S::FailedSettled(_) => Vec::new(),
            S::StockReserved(_) | S::Priced(_) | S::RedeemingPoints(_) | S::Billing(_) | S::FailedOwingStock(_) => {
                OwesStock::compensations()
            }
            S::BillingAfterPoints(_) | S::FailedOwingPointsAndStock(_) => OwesPointsAndStock::compensations(),
            S::PreparingOrder(_) | S::NotifyingCourier(_) | S::FailedOwingPaymentAndStock(_) => {
                OwesPaymentAndStock::compensations()
            }
            S::PreparingOrderAfterPoints(_)
            | S::NotifyingCourierAfterPoints(_)
            | S::FailedOwingPaymentPointsAndStock(_) => OwesPaymentPointsAndStock::compensations(),
        }
    }

    /// The order's price, once it is known and while the checkout goes forward.
    pub fn pricing(&self) -> Option<&Pricing> {
        use CheckoutState as S;
        match self {
            S::Priced(s) => Some(&s.pricing),
            S::RedeemingPoints(s) => Some(&s.pricing),
            S::Billing(s) => Some(&s.pricing),
            S::BillingAfterPoints(s) => Some(&s.pricing),
            S::PreparingOrder(s) => Some(&s.pricing),
            S::PreparingOrderAfterPoints(s) => Some(&s.pricing),
            S::NotifyingCourier(s) => Some(&s.pricing),
            S::NotifyingCourierAfterPoints(s) => Some(&s.pricing),
            S::Dispatched(s) => Some(&s.pricing),
            _ => None,
        }
    }

    /// The task token and deadline of the courier wait, while the checkout is in it.
    pub fn courier_wait(&self) -> Option<(TaskToken, u64)> {
        match self {
            CheckoutState::PreparingOrder(s) => Some((s.token(), s.deadline_ms())),
            CheckoutState::PreparingOrderAfterPoints(s) => Some((s.token(), s.deadline_ms())),
            _ => None,
        }
    }

    pub fn next(&self) -> Next {
        use CheckoutState as S;
        match self {
            S::Placed(s) => Next::Run(s.command()),
            S::StockReserved(_) | S::Priced(_) | S::FailedSettled(_) => Next::Compute,
            S::RedeemingPoints(s) => Next::Run(s.command()),
            S::Billing(s) => Next::Run(s.command()),
            S::BillingAfterPoints(s) => Next::Run(s.command()),
            S::PreparingOrder(s) => Next::Run(s.command()),
            S::PreparingOrderAfterPoints(s) => Next::Run(s.command()),
            S::NotifyingCourier(s) => Next::Run(s.command()),
            S::NotifyingCourierAfterPoints(s) => Next::Run(s.command()),
            S::FailedOwingStock(s) => Next::Run(s.command()),
            S::FailedOwingPointsAndStock(s) => Next::Run(s.command()),
            S::FailedOwingPaymentAndStock(s) => Next::Run(s.command()),
            S::FailedOwingPaymentPointsAndStock(s) => Next::Run(s.command()),
            S::Dispatched(_) => Next::Finished(Outcome::Dispatched),
            S::Rejected(_) => Next::Finished(Outcome::Rejected),
            S::Compensated(_) => Next::Finished(Outcome::Compensated),
        }
    }

    pub fn is_finished(&self) -> bool {
        matches!(self.next(), Next::Finished(_))
    }

    /// Takes a pure step: computing the total, choosing whether to redeem points, or closing a
    /// checkout that has given everything back.
    pub fn compute(&self) -> Result<CheckoutState, TransitionError> {
        use CheckoutState as S;
        match self.clone() {
            S::StockReserved(s) => Ok(match s.calculate_total() {
                Ok(priced) => priced.into(),
                Err(failed) => failed.into(),
            }),
            S::Priced(s) => Ok(match s.route() {
                Route::RedeemPoints(redeeming) => redeeming.into(),
                Route::Bill(billing) => billing.into(),
            }),
            S::FailedSettled(s) => Ok(s.finish().into()),
            other => Err(TransitionError::NothingToCompute { state: other.phase().name() }),
        }
    }

    /// Feeds the result of a side effect to the checkout. An event the state cannot take is an
    /// error and leaves `self` as it was, so a stale or duplicated reply is harmless.
    pub fn apply(&self, event: Event) -> Result<CheckoutState, TransitionError> {
        use CheckoutState as S;
        let wrong = TransitionError::WrongEvent { state: self.phase().name(), event: event.name() };
        let applied = match (self.clone(), event) {
            (S::Placed(s), Event::StockReserved(r)) => Some(Ok(s.stock_reserved(r).into())),
            (S::Placed(s), Event::StockUnavailable(u)) => Some(Ok(s.stock_unavailable(u).into())),
            (S::Placed(s), Event::StepFailed { detail }) => Some(Ok(s.reservation_failed(detail).into())),
            (S::RedeemingPoints(s), Event::PointsRedeemed(r)) => Some(accept(s.points_redeemed(r))),
            (S::RedeemingPoints(s), Event::StepFailed { detail }) => Some(Ok(s.redemption_failed(detail).into())),
            (S::Billing(s), e) => apply_billing(s, e),
            (S::BillingAfterPoints(s), e) => apply_billing(s, e),
            (S::PreparingOrder(s), e) => apply_preparing(s, e),
            (S::PreparingOrderAfterPoints(s), e) => apply_preparing(s, e),
            (S::NotifyingCourier(s), e) => apply_notifying(s, e),
            (S::NotifyingCourierAfterPoints(s), e) => apply_notifying(s, e),
            (S::FailedOwingPaymentAndStock(s), Event::Refunded(r)) => Some(Ok(s.refunded(r).into())),
            (S::FailedOwingPaymentPointsAndStock(s), Event::Refunded(r)) => Some(Ok(s.refunded(r).into())),
            (S::FailedOwingPointsAndStock(s), Event::PointsRestored(r)) => Some(Ok(s.points_restored(r).into())),
            (S::FailedOwingStock(s), Event::StockReleased(r)) => Some(accept(s.stock_released(r))),
            _ => None,
        };
        applied.unwrap_or(Err(wrong))
    }

    /// Parses a persisted checkout, refusing one that is not a state the saga can be in.
    pub fn from_json(json: &str) -> Result<CheckoutState, LoadError> {
        let record: StoredCheckout = serde_json::from_str(json).map_err(|e| LoadError::Json(e.to_string()))?;
        CheckoutState::try_from(record).map_err(LoadError::State)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(&StoredCheckout::from(self)).expect("a checkout record always serializes")
    }
}

/// Why a persisted checkout could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("persisted checkout is not valid JSON of the expected shape: {0}")]
    Json(String),
    #[error(transparent)]
    State(#[from] StateError),
}

// ---------------------------------------------------------------------------------------------
// Persistence.

/// The persisted form: a tag and the fields that state has. Which fields must be present, and
/// how they must agree with each other, is checked when loading.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct StoredCheckout {
    state: Phase,
    order: Order,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unit_price: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pricing: Option<Pricing>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    deadline_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    courier: Option<CourierId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rejection: Option<Unavailable>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cause: Option<FailureCause>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    returned: Option<Returned>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    owes: Option<Vec<Compensation>>,
}

impl StoredCheckout {
    fn bare(state: Phase, order: &Order) -> StoredCheckout {
        StoredCheckout {
            state,
            order: order.clone(),
            unit_price: None,
            pricing: None,
            deadline_ms: None,
            courier: None,
            rejection: None,
            cause: None,
            returned: None,
            owes: None,
        }
    }

    fn present_fields(&self) -> Vec<&'static str> {
        let mut fields = Vec::new();
        let mut note = |present: bool, name: &'static str| {
            if present {
                fields.push(name)
            }
        };
        note(self.unit_price.is_some(), "unitPrice");
        note(self.pricing.is_some(), "pricing");
        note(self.deadline_ms.is_some(), "deadlineMs");
        note(self.courier.is_some(), "courier");
        note(self.rejection.is_some(), "rejection");
        note(self.cause.is_some(), "cause");
        note(self.returned.is_some(), "returned");
        note(self.owes.is_some(), "owes");
        fields
    }

    fn allowed_fields(state: Phase) -> &'static [&'static str] {
        match state {
            Phase::Placed => &[],
            Phase::StockReserved => &["unitPrice"],
            Phase::Priced | Phase::RedeemingPoints => &["pricing"],
            Phase::Billing => &["pricing", "owes"],
            Phase::PreparingOrder => &["pricing", "deadlineMs", "owes"],
            Phase::NotifyingCourier => &["pricing", "courier", "owes"],
            Phase::Dispatched => &["pricing", "courier"],
            Phase::Rejected => &["rejection"],
            Phase::Compensating => &["cause", "returned", "owes"],
            Phase::Compensated => &["cause", "returned"],
        }
    }
}

impl From<&CheckoutState> for StoredCheckout {
    fn from(state: &CheckoutState) -> StoredCheckout {
        use CheckoutState as S;
        let mut record = StoredCheckout::bare(state.phase(), state.order());
        if let Some(pricing) = state.pricing() {
            record.pricing = Some(*pricing);
        }
        let owes = state.owes();
        match state {
            S::Placed(_) | S::Priced(_) | S::RedeemingPoints(_) => {}
            S::StockReserved(s) => record.unit_price = Some(s.unit_price),
            S::Billing(_) | S::BillingAfterPoints(_) => record.owes = Some(owes),
            S::PreparingOrder(s) => {
                record.deadline_ms = Some(s.deadline_ms);
                record.owes = Some(owes);
            }
            S::PreparingOrderAfterPoints(s) => {
                record.deadline_ms = Some(s.deadline_ms);
                record.owes = Some(owes);
            }
            S::NotifyingCourier(s) => {
                record.courier = Some(s.courier.clone());
                record.owes = Some(owes);
            }
            S::NotifyingCourierAfterPoints(s) => {
                record.courier = Some(s.courier.clone());
                record.owes = Some(owes);
            }
            S::Dispatched(s) => record.courier = Some(s.courier.clone()),
            S::Rejected(s) => record.rejection = Some(s.reason),
            S::FailedOwingStock(s) => record.failure(&s.cause, s.returned, owes),
            S::FailedOwingPointsAndStock(s) => record.failure(&s.cause, s.returned, owes),
            S::FailedOwingPaymentAndStock(s) => record.failure(&s.cause, s.returned, owes),
            S::FailedOwingPaymentPointsAndStock(s) => record.failure(&s.cause, s.returned, owes),
            S::FailedSettled(s) => record.failure(&s.cause, s.returned, owes),
            S::Compensated(s) => {
                record.cause = Some(s.cause.clone());
                record.returned = Some(s.returned);
            }
        }
        record
    }
}

impl StoredCheckout {
    fn failure(&mut self, cause: &FailureCause, returned: Returned, owes: Vec<Compensation>) {
        self.cause = Some(cause.clone());
        self.returned = Some(returned);
        self.owes = Some(owes);
    }
}

/// Checks a record field by field while it is turned back into a typestate.
struct Loader {
    state: &'static str,
}

impl Loader {
    fn need<T>(&self, value: Option<T>, field: &'static str) -> Result<T, StateError> {
        value.ok_or(StateError::Missing { state: self.state, field })
    }

    fn inconsistent(&self, detail: impl Into<String>) -> StateError {
        StateError::Inconsistent { state: self.state, detail: detail.into() }
    }

    fn pricing(&self, order: &Order, pricing: Option<Pricing>, points_allowed: bool) -> Result<Pricing, StateError> {
        let pricing = self.need(pricing, "pricing")?;
        if !pricing.is_consistent_with(order) {
            return Err(self.inconsistent(format!(
                "pricing {pricing:?} does not follow from quantity {}",
                order.quantity().get()
            )));
        }
        if pricing.points_redeemed != crate::money::Points::ZERO && !(points_allowed && order.redeem_points()) {
            return Err(self.inconsistent("points are redeemed for an order that has not redeemed any"));
        }
        Ok(pricing)
    }

    /// The holds a forward state must owe, given whether the order redeems points.
    fn forward_owes(&self, order: &Order, owes: Option<Vec<Compensation>>, paid: bool) -> Result<bool, StateError> {
        let owes = self.need(owes, "owes")?;
        let mut expected = Vec::new();
        if paid {
            expected.push(Compensation::Refund);
        }
        if order.redeem_points() {
            expected.push(Compensation::RestorePoints);
        }
        expected.push(Compensation::ReleaseStock);
        if owes != expected {
            return Err(self.inconsistent(format!("owes {owes:?} but this order's holds are {expected:?}")));
        }
        Ok(order.redeem_points())
    }

    fn returned(
        &self,
        order: &Order,
        returned: Option<Returned>,
        owes: &[Compensation],
    ) -> Result<Returned, StateError> {
        let returned = self.need(returned, "returned")?;
        if returned.stock > order.quantity().get() {
            return Err(self.inconsistent(format!(
                "{} copies returned for an order of {}",
                returned.stock,
                order.quantity().get()
            )));
        }
        let not_yet_run = |c: Compensation, nothing_back: bool| owes.contains(&c) && !nothing_back;
        if not_yet_run(Compensation::ReleaseStock, returned.stock == 0)
            || not_yet_run(Compensation::RestorePoints, returned.points == crate::money::Points::ZERO)
            || not_yet_run(Compensation::Refund, returned.money == Money::ZERO)
        {
            return Err(self.inconsistent("something was returned by a compensation that is still owed"));
        }
        Ok(returned)
    }
}

impl TryFrom<StoredCheckout> for CheckoutState {
    type Error = StateError;

    fn try_from(record: StoredCheckout) -> Result<CheckoutState, StateError> {
        use crate::states::Compensation as C;
        let load = Loader { state: record.state.name() };
        let allowed = StoredCheckout::allowed_fields(record.state);
        if let Some(field) = record.present_fields().into_iter().find(|f| !allowed.contains(f)) {
            return Err(StateError::Unexpected { state: load.state, field });
        }
        let order = record.order;
        Ok(match record.state {
            Phase::Placed => Placed { order }.into(),
            Phase::StockReserved => {
                let unit_price = load.need(record.unit_price, "unitPrice")?;
                StockReserved { order, unit_price }.into()
            }
            Phase::Priced => {
                let pricing = load.pricing(&order, record.pricing, false)?;
                Priced { order, pricing }.into()
            }
            Phase::RedeemingPoints => {
                let pricing = load.pricing(&order, record.pricing, false)?;
                if !order.redeem_points() {
                    return Err(load.inconsistent("the order does not ask to redeem points"));
                }
                RedeemingPoints { order, pricing }.into()
            }
            Phase::Billing => {
                let pricing = load.pricing(&order, record.pricing, true)?;
                if load.forward_owes(&order, record.owes, false)? {
                    Billing::<OwesPointsAndStock> { order, pricing, owed: PhantomData }.into()
                } else {
                    Billing::<OwesStock> { order, pricing, owed: PhantomData }.into()
                }
            }
            Phase::PreparingOrder => {
                let pricing = load.pricing(&order, record.pricing, true)?;
                let deadline_ms = load.need(record.deadline_ms, "deadlineMs")?;
                if load.forward_owes(&order, record.owes, true)? {
                    PreparingOrder::<OwesPaymentPointsAndStock> { order, pricing, deadline_ms, owed: PhantomData }
                        .into()
                } else {
                    PreparingOrder::<OwesPaymentAndStock> { order, pricing, deadline_ms, owed: PhantomData }.into()
                }
            }
            Phase::NotifyingCourier => {
                let pricing = load.pricing(&order, record.pricing, true)?;
                let courier = load.need(record.courier, "courier")?;
                if load.forward_owes(&order, record.owes, true)? {
                    NotifyingCourier::<OwesPaymentPointsAndStock> { order, pricing, courier, owed: PhantomData }.into()
                } else {
                    NotifyingCourier::<OwesPaymentAndStock> { order, pricing, courier, owed: PhantomData }.into()
                }
            }
            Phase::Dispatched => {
                let pricing = load.pricing(&order, record.pricing, true)?;
                let courier = load.need(record.courier, "courier")?;
                Dispatched { order, pricing, courier }.into()
            }
            Phase::Rejected => {
                let reason = load.need(record.rejection, "rejection")?;
                Rejected { order, reason }.into()
            }
            Phase::Compensating => {
                let cause = load.need(record.cause, "cause")?;
                let owes = load.need(record.owes, "owes")?;
                let returned = load.returned(&order, record.returned, &owes)?;
                if owes.contains(&C::RestorePoints) && !order.redeem_points() {
                    return Err(load.inconsistent("owes points to an order that never redeemed any"));
                }
                match owes.as_slice() {
                    [] => Failed::<Settled> { order, cause, returned, owed: PhantomData }.into(),
                    [C::ReleaseStock] => Failed::<OwesStock> { order, cause, returned, owed: PhantomData }.into(),
                    [C::RestorePoints, C::ReleaseStock] => {
                        Failed::<OwesPointsAndStock> { order, cause, returned, owed: PhantomData }.into()
                    }
                    [C::Refund, C::ReleaseStock] => {
                        Failed::<OwesPaymentAndStock> { order, cause, returned, owed: PhantomData }.into()
                    }
                    [C::Refund, C::RestorePoints, C::ReleaseStock] => {
                        Failed::<OwesPaymentPointsAndStock> { order, cause, returned, owed: PhantomData }.into()
                    }
                    other => {
                        return Err(load.inconsistent(format!(
                            "owes {other:?}, which is not a stack of holds a checkout can build"
                        )))
                    }
                }
            }
            Phase::Compensated => {
                let cause = load.need(record.cause, "cause")?;
                let returned = load.returned(&order, record.returned, &[])?;
                Compensated { order, cause, returned }.into()
            }
        })
    }
}

impl Serialize for CheckoutState {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        StoredCheckout::from(self).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for CheckoutState {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let record = StoredCheckout::deserialize(deserializer)?;
        CheckoutState::try_from(record).map_err(serde::de::Error::custom)
    }
}
