//! The side effects a checkout asks its adapters to perform, one per waiting state. Each carries
//! the key that makes it idempotent; compensations carry the key of the effect they undo.

use serde::{Deserialize, Serialize};

use crate::money::{Money, Points};
use crate::names::wire_name;
use crate::order::{BookId, CourierId, Order, Quantity, UserId};
use crate::protocol::keys::{EffectKey, TaskToken};

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "kebab-case", rename_all_fields = "camelCase")]
pub enum Command {
    /// Take `quantity` copies if at least that many are in stock, atomically, once per key.
    ReserveStock { key: EffectKey, book: BookId, quantity: Quantity },
    /// Take up to `up_to` of the user's points (as many as there are), once per key.
    RedeemPoints { key: EffectKey, user: UserId, up_to: Points },
    /// Charge the customer `amount`, once per key.
    Charge { key: EffectKey, user: UserId, amount: Money },
    /// Ask the courier worker, over the queue, to assign a courier and reply with `token`.
    RequestCourier { token: TaskToken, order: Order, deadline_ms: u64 },
    /// Tell the assigned courier to collect the order, once per key.
    NotifyCourier { key: EffectKey, courier: CourierId, order: Order },
    /// Give back the `quantity` copies of `book` the reservation under `key` took, if it took
    /// and they are not yet given back. Refused if the key's take was another's.
    ReleaseStock { key: EffectKey, book: BookId, quantity: Quantity },
    /// Add back the points the redemption of up to `up_to` under `key` took, if any and not yet
    /// added back. Refused if the key's take was another's.
    RestorePoints { key: EffectKey, user: UserId, up_to: Points },
    /// Refund the `amount` charged under `key`, if it was and is not yet refunded. Refused if the
    /// key's take was another's.
    Refund { key: EffectKey, user: UserId, amount: Money },
}

impl Command {
    /// Whether this command undoes an earlier effect. Compensations are retried until they
    /// succeed; forward steps give up after their retry budget and start compensating.
    pub fn is_compensation(&self) -> bool {
        matches!(self, Command::ReleaseStock { .. } | Command::RestorePoints { .. } | Command::Refund { .. })
    }

    /// The key of the effect this command performs or undoes; `None` for the courier request,
    /// which its task token names instead.
    pub fn key(&self) -> Option<&EffectKey> {
        match self {
            Command::ReserveStock { key, .. }
            | Command::RedeemPoints { key, .. }
            | Command::Charge { key, .. }
            | Command::NotifyCourier { key, .. }
            | Command::ReleaseStock { key, .. }
            | Command::RestorePoints { key, .. }
            | Command::Refund { key, .. } => Some(key),
            Command::RequestCourier { .. } => None,
        }
    }

    /// The command's tag on the wire (`reserve-stock`, `refund`, ...), for logs and traces.
    pub fn name(&self) -> String {
        wire_name(self, Some("command"))
    }
}
