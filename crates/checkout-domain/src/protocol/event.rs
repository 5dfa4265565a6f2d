//! What happened to a checkout's last command, as the orchestrator feeds it back.

use serde::{Deserialize, Serialize};

use crate::names::wire_name;
use crate::order::CourierId;
use crate::protocol::keys::TaskToken;
use crate::protocol::reply::{
    ChargeReceipt, PointsRedemption, PointsRestored, RefundReceipt, StockReleased, StockReservation, Unavailable,
};
use crate::states::Resolution;

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
    /// The runtime opened the courier wait and issued its task token (a secret it made up, or
    /// the one Step Functions handed out); only replies carrying it are accepted.
    CourierWaitOpened {
        token: TaskToken,
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
    /// The current compensation was refused for good (a closed card, a deleted account): what
    /// it should have given back stays with the shop and is raised for an operator.
    CompensationRefused {
        detail: String,
    },
    StockReleased(StockReleased),
    PointsRestored(PointsRestored),
    Refunded(RefundReceipt),
    /// The customer withdraws the order. Before the point of no return the checkout fails and
    /// gives back what it took; from a courier's assignment on, or once it has failed or ended,
    /// it refuses and says why ([`crate::TransitionError::PastNoReturn`],
    /// [`crate::TransitionError::NothingToCancel`]).
    Cancel,
    /// An operator closes a checkout raised for them by recording what was done by hand. Any
    /// other checkout refuses it ([`crate::TransitionError::NothingToResolve`]).
    Resolve {
        resolution: Resolution,
    },
}

impl Event {
    /// The event's tag on the wire (`stock-reserved`, `refunded`, ...), for logs and errors.
    pub fn name(&self) -> String {
        wire_name(self, Some("event"))
    }
}
