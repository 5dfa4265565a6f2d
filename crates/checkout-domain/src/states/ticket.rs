//! What a checkout is about: its own id, issued when the order was accepted, and the order.

use crate::order::{CheckoutId, Order};
use crate::protocol::{Effect, EffectKey};

/// A checkout's identity and the order it was opened for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ticket {
    id: CheckoutId,
    order: Order,
}

impl Ticket {
    pub fn new(id: CheckoutId, order: Order) -> Ticket {
        Ticket { id, order }
    }

    pub fn id(&self) -> &CheckoutId {
        &self.id
    }

    pub fn order(&self) -> &Order {
        &self.order
    }

    /// The key of one of this checkout's effects.
    pub fn key(&self, effect: Effect) -> EffectKey {
        EffectKey::new(&self.id, effect)
    }
}
