//! What every typestate tells about itself, in one sealed trait, so the erased enum has nothing
//! to know per state but which variant holds it.

use crate::checkout::record::CheckoutRecord;
use crate::checkout::{CourierWait, Next, Outcome, Phase};
use crate::states::*;

mod sealed {
    pub trait Sealed {}
}

/// One state of the checkout, as the erased form and the persisted record see it.
pub trait Stage: sealed::Sealed {
    /// The phase this state belongs to; the `state` tag of its record.
    const PHASE: Phase;
    /// The holds a failure from here must give back (for a failed state: still owes).
    type Owes: Owed;

    /// What the checkout is about: its id and its order.
    fn ticket(&self) -> &Ticket;
    /// What the orchestrator must do next.
    fn next(&self) -> Next;
    /// How this state is persisted.
    fn record(&self) -> CheckoutRecord;

    /// The order's price, once known and while the checkout goes forward.
    fn pricing(&self) -> Option<&Pricing> {
        None
    }

    /// The courier wait, while the checkout is in it.
    fn courier_wait(&self) -> Option<CourierWait> {
        None
    }

    /// The compensations refused for good so far, once the checkout has failed.
    fn unreturned(&self) -> &[Unreturned] {
        &[]
    }
}

// What most stages answer the same way, written once.
macro_rules! shared_ticket {
    () => {
        fn ticket(&self) -> &Ticket {
            &self.ticket
        }
    };
}
macro_rules! known_pricing {
    () => {
        fn pricing(&self) -> Option<&Pricing> {
            Some(&self.pricing)
        }
    };
}
macro_rules! names_its_refusals {
    () => {
        fn unreturned(&self) -> &[Unreturned] {
            &self.unreturned
        }
    };
}
macro_rules! runs_its_command {
    () => {
        fn next(&self) -> Next {
            Next::Run(self.command())
        }
    };
}

impl sealed::Sealed for Placed {}
impl sealed::Sealed for StockReserved {}
impl sealed::Sealed for Priced {}
impl sealed::Sealed for RedeemingPoints {}
impl<O> sealed::Sealed for Billing<O> {}
impl<O> sealed::Sealed for PreparingOrder<O> {}
impl<O> sealed::Sealed for NotifyingCourier<O> {}
impl sealed::Sealed for Dispatched {}
impl sealed::Sealed for Rejected {}
impl sealed::Sealed for NoticeUnconfirmed {}
impl<O> sealed::Sealed for Failed<O> {}
impl sealed::Sealed for Compensated {}
impl sealed::Sealed for NeedsOperator {}
impl sealed::Sealed for Resolved {}

impl Stage for Placed {
    const PHASE: Phase = Phase::Placed;
    type Owes = Settled;
    shared_ticket!();
    runs_its_command!();
    fn record(&self) -> CheckoutRecord {
        CheckoutRecord::Placed { checkout: self.ticket.id().clone(), order: self.ticket.order().clone() }
    }
}

impl Stage for StockReserved {
    const PHASE: Phase = Phase::StockReserved;
    type Owes = OwesStock;
    shared_ticket!();
    fn next(&self) -> Next {
        Next::Compute
    }
    fn record(&self) -> CheckoutRecord {
        CheckoutRecord::StockReserved {
            checkout: self.ticket.id().clone(),
            order: self.ticket.order().clone(),
            unit_price: self.unit_price,
        }
    }
}

impl Stage for Priced {
    const PHASE: Phase = Phase::Priced;
    type Owes = OwesStock;
    shared_ticket!();
    fn next(&self) -> Next {
        Next::Compute
    }
    fn record(&self) -> CheckoutRecord {
        CheckoutRecord::Priced {
            checkout: self.ticket.id().clone(),
            order: self.ticket.order().clone(),
            pricing: self.pricing,
        }
    }
    known_pricing!();
}

impl Stage for RedeemingPoints {
    const PHASE: Phase = Phase::RedeemingPoints;
    type Owes = OwesStock;
    shared_ticket!();
    runs_its_command!();
    fn record(&self) -> CheckoutRecord {
        CheckoutRecord::RedeemingPoints {
            checkout: self.ticket.id().clone(),
            order: self.ticket.order().clone(),
            pricing: self.pricing,
        }
    }
    known_pricing!();
}

impl<O: Owed> Stage for Billing<O> {
    const PHASE: Phase = Phase::Billing;
    type Owes = O;
    shared_ticket!();
    runs_its_command!();
    fn record(&self) -> CheckoutRecord {
        CheckoutRecord::Billing {
            checkout: self.ticket.id().clone(),
            order: self.ticket.order().clone(),
            pricing: self.pricing,
            owes: O::compensations(),
        }
    }
    known_pricing!();
}

impl<O: Owed> Stage for PreparingOrder<O> {
    const PHASE: Phase = Phase::PreparingOrder;
    type Owes = O;
    shared_ticket!();
    fn next(&self) -> Next {
        match self.command() {
            Some(request) => Next::Run(request),
            None => Next::OpenCourierWait,
        }
    }
    fn record(&self) -> CheckoutRecord {
        CheckoutRecord::PreparingOrder {
            checkout: self.ticket.id().clone(),
            order: self.ticket.order().clone(),
            pricing: self.pricing,
            deadline_ms: self.deadline_ms,
            token: self.token.clone(),
            owes: O::compensations(),
        }
    }
    known_pricing!();
    fn courier_wait(&self) -> Option<CourierWait> {
        Some(CourierWait { token: self.token.clone(), deadline_ms: self.deadline_ms })
    }
}

impl<O: Owed> Stage for NotifyingCourier<O> {
    const PHASE: Phase = Phase::NotifyingCourier;
    type Owes = O;
    shared_ticket!();
    runs_its_command!();
    fn record(&self) -> CheckoutRecord {
        CheckoutRecord::NotifyingCourier {
            checkout: self.ticket.id().clone(),
            order: self.ticket.order().clone(),
            pricing: self.pricing,
            courier: self.courier.clone(),
            owes: O::compensations(),
        }
    }
    known_pricing!();
}

impl Stage for Dispatched {
    const PHASE: Phase = Phase::Dispatched;
    type Owes = Settled;
    shared_ticket!();
    fn next(&self) -> Next {
        Next::Finished(Outcome::Dispatched)
    }
    fn record(&self) -> CheckoutRecord {
        CheckoutRecord::Dispatched {
            checkout: self.ticket.id().clone(),
            order: self.ticket.order().clone(),
            pricing: self.pricing,
            courier: self.courier.clone(),
        }
    }
    known_pricing!();
}

impl Stage for NoticeUnconfirmed {
    const PHASE: Phase = Phase::NoticeUnconfirmed;
    type Owes = Settled;
    shared_ticket!();
    fn next(&self) -> Next {
        Next::Finished(Outcome::NeedsOperator)
    }
    fn record(&self) -> CheckoutRecord {
        CheckoutRecord::NoticeUnconfirmed {
            checkout: self.ticket.id().clone(),
            order: self.ticket.order().clone(),
            pricing: self.pricing,
            courier: self.courier.clone(),
            detail: self.detail.clone(),
        }
    }
    known_pricing!();
}

impl Stage for Rejected {
    const PHASE: Phase = Phase::Rejected;
    type Owes = Settled;
    shared_ticket!();
    fn next(&self) -> Next {
        Next::Finished(Outcome::Rejected)
    }
    fn record(&self) -> CheckoutRecord {
        CheckoutRecord::Rejected {
            checkout: self.ticket.id().clone(),
            order: self.ticket.order().clone(),
            rejection: self.reason,
        }
    }
}

impl<O: Owed> Failed<O> {
    fn failure_record(&self) -> CheckoutRecord {
        CheckoutRecord::Compensating {
            checkout: self.ticket.id().clone(),
            order: self.ticket.order().clone(),
            pricing: self.pricing,
            cause: self.cause.clone(),
            returned: self.returned,
            unreturned: self.unreturned.clone(),
            owes: O::compensations(),
        }
    }
}

impl<C: Hold, R: Owed> Stage for Failed<Owes<C, R>> {
    const PHASE: Phase = Phase::Compensating;
    type Owes = Owes<C, R>;
    shared_ticket!();
    runs_its_command!();
    fn record(&self) -> CheckoutRecord {
        self.failure_record()
    }
    names_its_refusals!();
}

impl Stage for Failed<Settled> {
    const PHASE: Phase = Phase::Compensating;
    type Owes = Settled;
    shared_ticket!();
    fn next(&self) -> Next {
        Next::Compute
    }
    fn record(&self) -> CheckoutRecord {
        self.failure_record()
    }
    names_its_refusals!();
}

impl Stage for Compensated {
    const PHASE: Phase = Phase::Compensated;
    type Owes = Settled;
    shared_ticket!();
    fn next(&self) -> Next {
        Next::Finished(Outcome::Compensated)
    }
    fn record(&self) -> CheckoutRecord {
        CheckoutRecord::Compensated {
            checkout: self.ticket.id().clone(),
            order: self.ticket.order().clone(),
            pricing: self.pricing,
            cause: self.cause.clone(),
            returned: self.returned,
        }
    }
}

impl Stage for NeedsOperator {
    const PHASE: Phase = Phase::NeedsOperator;
    type Owes = Settled;
    shared_ticket!();
    fn next(&self) -> Next {
        Next::Finished(Outcome::NeedsOperator)
    }
    fn record(&self) -> CheckoutRecord {
        CheckoutRecord::NeedsOperator {
            checkout: self.ticket.id().clone(),
            order: self.ticket.order().clone(),
            pricing: self.pricing,
            cause: self.cause.clone(),
            returned: self.returned,
            unreturned: self.unreturned.clone(),
        }
    }
    names_its_refusals!();
}

impl Stage for Resolved {
    const PHASE: Phase = Phase::Resolved;
    type Owes = Settled;
    fn ticket(&self) -> &Ticket {
        match &self.raised {
            Raised::Compensation(raised) => raised.ticket(),
            Raised::Notice(raised) => raised.ticket(),
        }
    }
    fn next(&self) -> Next {
        Next::Finished(Outcome::Resolved)
    }
    fn record(&self) -> CheckoutRecord {
        let raised = match &self.raised {
            Raised::Compensation(raised) => raised.record(),
            Raised::Notice(raised) => raised.record(),
        };
        CheckoutRecord::Resolved { raised: Box::new(raised), resolution: self.resolution.clone() }
    }
    fn pricing(&self) -> Option<&Pricing> {
        match &self.raised {
            Raised::Compensation(raised) => raised.pricing(),
            Raised::Notice(raised) => raised.pricing(),
        }
    }
    /// What the compensations refused for good left held, and the resolution settled by hand.
    fn unreturned(&self) -> &[Unreturned] {
        match &self.raised {
            Raised::Compensation(raised) => raised.unreturned(),
            Raised::Notice(_) => &[],
        }
    }
}
