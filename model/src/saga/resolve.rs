//! An operator's resolution, as `Driver::resolve` carries it out: the domain is asked first on
//! the saved checkout, and only a resolution it takes claims the checkout and is saved, through
//! the engine. What the stores hold under the checkout's keys at that moment is kept as a ghost,
//! for the property that judges what the resolution settled.

use checkout_domain::states::{OperatorNote, Resolution, Unreturned as Refusal};
use checkout_domain::{CheckoutRecord, Refused};

use super::*;

/// The resolution an operator records: given back by hand, or collected after all.
fn resolution(went_out: bool) -> Resolution {
    let note = OperatorNote::new("settled at the counter").expect("a valid note");
    if went_out {
        Resolution::CourierConfirmed { note }
    } else {
        Resolution::GivenBackByHand { note }
    }
}

impl SagaModel {
    /// Whether the model sends a resolution to `checkout`: one raised for an operator, where the
    /// domain may take it; with [`Weakness::ResolveWhileCompensating`], also one compensating.
    pub(super) fn resolution_offered(&self, checkout: &CheckoutState) -> bool {
        matches!(checkout.phase(), Phase::NeedsOperator | Phase::NoticeUnconfirmed)
            || (self.weak(Weakness::ResolveWhileCompensating) && checkout.phase() == Phase::Compensating)
    }

    pub(super) fn resolve(&self, state: &mut SagaState, run: usize, went_out: bool) {
        state.resolutions_left -= 1;
        let event = Event::Resolve { resolution: resolution(went_out) };
        let found = state.runs[run].checkout().clone();
        let found = match found.phase() {
            Phase::Compensating if self.weak(Weakness::ResolveWhileCompensating) => {
                let Some(raised) = owing_taken_as_refused(found) else { return };
                raised
            }
            _ => found,
        };
        if found.clone().apply(event.clone()).is_err() {
            return;
        }
        let [stock_key, points_key, charge_key] = &self.keys[usize::from(state.runs[run].submission)];
        let held = [
            state.inventory.stock.held_by(stock_key),
            state.points.held_by(points_key),
            state.wallets.held_by(charge_key),
        ];
        self.claim_for_intervention(state, run);
        state.runs[run].make_mut().held_when_resolved = Some(held);
        let mut progress = Progress::default();
        let resolved = self.engine.apply(found, &mut progress, event).unwrap_or_else(|Refused { error, .. }| {
            panic!("a resolution the checkout took once is taken again: {error}")
        });
        self.save(state, run, resolved, progress);
    }
}

/// With [`Weakness::ResolveWhileCompensating`]: the compensating checkout as it would be had
/// every compensation it still owes been refused for good, which is how the weakened copy lets
/// it take a resolution. `None` for one that owes nothing and had nothing refused: it is about
/// to end compensated, and not even the weakened copy has anything to resolve.
fn owing_taken_as_refused(compensating: CheckoutState) -> Option<CheckoutState> {
    let CheckoutRecord::Compensating { checkout, order, pricing, cause, returned, mut unreturned, owes } =
        compensating.record()
    else {
        panic!("a compensating checkout has a compensating record")
    };
    let owed = owes.into_iter().map(|compensation| Refusal { compensation, detail: "given up".into() });
    unreturned.extend(owed);
    let record = CheckoutRecord::NeedsOperator { checkout, order, pricing, cause, returned, unreturned };
    CheckoutState::try_from(record).ok()
}
