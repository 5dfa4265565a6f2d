//! A customer's cancel, as `Driver::cancel` carries it out: it claims the checkout (so the
//! orchestrator driving it is fenced out, and goes on as a zombie until its next save is
//! refused), hands the checkout the domain's `Event::Cancel` through the engine, and drives on
//! from what that gives. The answer is kept as a ghost for the property that judges it.

use checkout_domain::states::FailureCause;
use checkout_domain::{CheckoutRecord, TransitionError};

use super::*;

impl SagaModel {
    /// An intervention (a cancel, a resolution) claims the checkout as `Driver`'s does: the
    /// incarnation driving it, if one does, goes on as a zombie whose next save is refused; a
    /// dead holder's claim is simply superseded. Fences are kept only where zombies can be.
    pub(super) fn claim_for_intervention(&self, state: &mut SagaState, run: usize) {
        let mut r = state.runs[run].make_mut();
        if self.zombies_possible() {
            if r.zombie.is_none() && !r.holder_dead {
                r.zombie = Some(Zombie { checkout: r.checkout().clone(), fence: r.slot.fence() });
            }
            r.slot.claim(runner_lease(0)).expect("a handful of claims");
        }
        r.holder_dead = false;
        r.progress = Progress::default();
    }

    pub(super) fn cancel(&self, state: &mut SagaState, run: usize) {
        state.cancels_left -= 1;
        self.claim_for_intervention(state, run);
        let checkout = state.runs[run].checkout().clone();
        let mut progress = Progress::default();
        let (answer, next) = match self.engine.apply(checkout.clone(), &mut progress, Event::Cancel) {
            Ok(next) if self.weak(Weakness::CancelForgetsInFlight) && checkout.phase() == Phase::Billing => {
                (CancelAnswer::Honoured, Some(forgetting_the_charge(next)))
            }
            Ok(next) => (CancelAnswer::Honoured, Some(next)),
            Err(refused) => match refused.error {
                TransitionError::PastNoReturn { .. }
                    if self.weak(Weakness::CancelPastNoReturn) && checkout.phase() == Phase::NotifyingCourier =>
                {
                    (CancelAnswer::Honoured, Some(given_up_notice(&checkout)))
                }
                TransitionError::PastNoReturn { .. } => (CancelAnswer::PastNoReturn, None),
                _ => (CancelAnswer::NothingToCancel, None),
            },
        };
        if let Some(next) = next {
            self.save(state, run, next, progress);
        }
        let mut r = state.runs[run].make_mut();
        r.cancel.get_or_insert(answer);
    }
}

/// With [`Weakness::CancelForgetsInFlight`]: the cancelled checkout as it would be had the cancel
/// taken the charge in flight as not done. The loader reads a record owing no refund as one whose
/// refund has run, so that is the state the weakened copy goes on from.
fn forgetting_the_charge(cancelled: CheckoutState) -> CheckoutState {
    let CheckoutRecord::Compensating { checkout, order, pricing, cause, returned, unreturned, mut owes } =
        cancelled.record()
    else {
        panic!("a cancelled checkout compensates")
    };
    assert!(matches!(cause, FailureCause::Cancelled { at: Phase::Billing }));
    owes.retain(|c| *c != Compensation::Refund);
    let record = CheckoutRecord::Compensating { checkout, order, pricing, cause, returned, unreturned, owes };
    CheckoutState::try_from(record).expect("a cancelled checkout whose refund has run loads")
}
