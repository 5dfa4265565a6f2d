//! Events handed to a checkout from outside its drive: a customer's cancel and an operator's
//! resolution, carried out the same way. The intervention claims the checkout, so the
//! incarnation driving it (if any) is fenced out (its next save is refused, and so is every
//! store call it makes after the intervention's first), hands the checkout the domain's event
//! through the engine, and saves what that gives with its journal entry; a refusal is journaled
//! with its reason. The caller then drives the checkout on under the intervention's claim
//! ([`Driver::drive_claimed`]): a cancelled checkout's compensations, or, refused, whatever it
//! was doing. A resolution is first asked of the checkout as found, and claims only one raised
//! for an operator, which has ended: a careless one interrupts nothing. The model checker's
//! cancel and resolution take the same steps (`checkout_model`'s saga), with the orchestrator a
//! cancel interrupts acting on as a zombie.

use checkout_domain::fencing::Fence;
use checkout_domain::states::Resolution;
use checkout_domain::{CheckoutId, CheckoutState, Event, Phase, TransitionError};
use checkout_ports::Shop;

use crate::{Drive, DriveError, Driver, World};

/// What an intervention did, and the claim under which the caller drives the checkout on.
#[derive(Debug)]
pub struct Intervention {
    /// Taken, with the phase the checkout was in; or refused, with why.
    pub answer: Result<Phase, TransitionError>,
    /// The intervention's claim on the checkout.
    pub fence: Fence,
    /// The checkout as the intervention saved it (or, refused, found it).
    pub checkout: CheckoutState,
}

impl<S: Shop, W: World> Driver<S, W> {
    /// Cancels checkout `id` for its customer: claims it, whoever holds it, and applies the
    /// cancel. Drive the checkout on with [`Driver::drive_claimed`] under the returned fence.
    pub async fn cancel(&self, id: &CheckoutId) -> Result<Intervention, DriveError> {
        let done = self.intervene(id, "cancel", Event::Cancel, |at| format!("honoured while {at}")).await?;
        crate::telemetry::cancelled(done.answer.is_ok());
        Ok(done)
    }

    /// Resolves a checkout for an operator, recording what was done by hand; `found` is the
    /// checkout as the operator's lookup loaded it. The domain is asked first, on `found`: only
    /// a checkout raised for an operator takes a resolution, and such a checkout has ended, so
    /// claiming it interrupts nobody. Any other is refused (journaled, with the reason) without
    /// being claimed, and whoever drives it goes on undisturbed. A taken resolution is applied
    /// again under the claim, so of two operators resolving at once, one is refused.
    pub async fn resolve(
        &self,
        found: &CheckoutState,
        resolution: Resolution,
    ) -> Result<Result<Phase, TransitionError>, DriveError> {
        let taken = format!("resolved as {}: {}", resolution.kind(), resolution.note());
        let event = Event::Resolve { resolution };
        let answer = match found.clone().apply(event.clone()) {
            Err(refused) => {
                let mut drive = Drive::new(self, Fence::FIRST, found.clone(), false);
                drive.journal("resolve", format!("refused: {}", refused.error), 1).await;
                drive.flush_journal().await;
                Err(refused.error)
            }
            Ok(_) => {
                let done = self.intervene(found.id(), "resolve", event, |at| format!("{taken} (it was {at})")).await?;
                // Ended either way: this releases the claim, and drives nothing.
                self.drive_claimed(done.fence, done.checkout).await?;
                done.answer
            }
        };
        crate::telemetry::resolved(answer.is_ok());
        Ok(answer)
    }

    async fn intervene(
        &self,
        id: &CheckoutId,
        step: &str,
        event: Event,
        taken: impl FnOnce(Phase) -> String,
    ) -> Result<Intervention, DriveError> {
        let (fence, checkout) = self.claim(id, false).await?;
        let at = checkout.phase();
        let mut drive = Drive::new(self, fence, checkout, false);
        let offered = drive.offer(step, event, taken(at), "refused").await;
        drive.flush_journal().await;
        let answer = match offered? {
            None => Ok(at),
            Some(refusal) => Err(refusal),
        };
        Ok(Intervention { answer, fence, checkout: drive.checkout })
    }
}
