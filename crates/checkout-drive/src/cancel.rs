//! A customer's cancel, carried out. The cancel claims the checkout, so the incarnation driving
//! it is fenced out (its next save is refused, and so is every store call it makes after the
//! cancel's first), hands the checkout the domain's [`Event::Cancel`] through the engine, and
//! saves what that gives with its journal entry. The caller then drives the checkout on under the
//! cancel's claim ([`Driver::drive_claimed`]): its compensations, or, past the point of no
//! return, its dispatch. The model checker's cancel takes the same steps (`checkout_model`'s
//! saga), with the orchestrator it interrupts acting on as a zombie.

use checkout_domain::fencing::Fence;
use checkout_domain::{CheckoutId, CheckoutState, Event, Phase, TransitionError};
use checkout_ports::Shop;

use crate::{Drive, DriveError, Driver, World};

/// What a cancel did, and the claim under which the caller drives the checkout on.
#[derive(Debug)]
pub struct Cancellation {
    /// Honoured, with the phase the checkout was cancelled in; or refused, with why.
    pub answer: Result<Phase, TransitionError>,
    /// The cancel's claim on the checkout.
    pub fence: Fence,
    /// The checkout as the cancel saved it (or, refused, found it).
    pub checkout: CheckoutState,
}

impl<S: Shop, W: World> Driver<S, W> {
    /// Cancels checkout `id` for its customer: claims it, whoever holds it, and applies the
    /// cancel. Drive the checkout on with [`Driver::drive_claimed`] under the returned fence.
    pub async fn cancel(&self, id: &CheckoutId) -> Result<Cancellation, DriveError> {
        let (fence, checkout) = self.claim(id, false).await?;
        let at = checkout.phase();
        let mut drive = Drive::new(self, fence, checkout, false);
        let offered = drive.offer("cancel", Event::Cancel, format!("honoured while {at}"), "refused").await;
        drive.flush_journal().await;
        let answer = match offered? {
            None => Ok(at),
            Some(refusal) => Err(refusal),
        };
        crate::telemetry::cancelled(answer.is_ok());
        Ok(Cancellation { answer, fence, checkout: drive.checkout })
    }
}
