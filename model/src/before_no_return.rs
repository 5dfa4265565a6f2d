//! The engine as it was before the point of no return, which gave the courier notice up like any
//! forward step and compensated: what the weakened copies of both models run, to show that their
//! property "a courier collects only what is sold" sees it.

use checkout_domain::CheckoutState;

/// Where the engine before the point of no return took a checkout when it gave up on its notice:
/// failed, owing everything back. The domain has no such transition any more, and its loader
/// refuses the record the old code wrote (a failure at the notice), so the weakened copy moves to
/// the compensating state that owes the same compensations, the one a courier's "no courier"
/// leads to, by way of its record.
pub fn given_up_notice(notifying: &CheckoutState) -> CheckoutState {
    use checkout_domain::states::{FailureCause, Returned};
    use checkout_domain::CheckoutRecord;
    let CheckoutRecord::NotifyingCourier { checkout, order, pricing, owes, .. } = notifying.record() else {
        panic!("only a notifying checkout gives its notice up")
    };
    let record = CheckoutRecord::Compensating {
        checkout,
        order,
        pricing: Some(pricing),
        cause: FailureCause::CourierUnavailable { detail: "gave the notice up".into() },
        returned: Returned::default(),
        unreturned: Vec::new(),
        owes,
    };
    CheckoutState::try_from(record).expect("a compensating state that owes everything loads")
}
