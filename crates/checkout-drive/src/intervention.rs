//! Events handed to a checkout from outside its drive: a customer's cancel and an operator's
//! resolution, carried out the same way. The intervention claims the checkout, so the
//! incarnation driving it (if any) is fenced out (its next save is refused, and so is every
//! store call it makes after the intervention's first), hands the checkout the domain's event
//! through the engine, and saves what that gives with its journal entry; a refusal is journaled
//! with its reason. The caller then drives the checkout on under the intervention's claim
//! ([`Driver::drive_claimed`]): a cancelled checkout's compensations, or, refused, whatever it
//! was doing. The model checker's cancel and resolution take the same steps (`checkout_model`'s
//! saga), with the orchestrator they interrupt acting on as a zombie.

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

    /// Resolves checkout `id` for an operator, recording what was done by hand. Only a checkout
    /// raised for an operator takes it; any other refuses, and the caller drives it on as for a
    /// refused cancel (the resolution's claim fenced out whoever drove it).
    pub async fn resolve(&self, id: &CheckoutId, resolution: Resolution) -> Result<Intervention, DriveError> {
        let taken = format!("resolved as {}: {}", resolution.kind(), resolution.note());
        let event = Event::Resolve { resolution };
        let done = self.intervene(id, "resolve", event, |at| format!("{taken} (it was {at})")).await?;
        crate::telemetry::resolved(done.answer.is_ok());
        Ok(done)
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
