//! The order registry contract: the one place where a client's order becomes a checkout. Like
//! the [`ledger`](crate::ledger), it is stated as a plain value that every adapter (in memory,
//! SQLite, DynamoDB) must behave like:
//! - a new order id opens a new checkout, under a checkout id never used before;
//! - the same order again (a retried or duplicated submission) gets the checkout it already has,
//!   whether that checkout is running or has ended;
//! - another order under a known id is refused, naming the first field that differs.
//!
//! So a client's retry never runs a second checkout, and no two checkouts are ever opened for
//! what the client called one order.

use std::collections::{BTreeMap, BTreeSet};

use thiserror::Error;

use crate::excerpt::excerpt;
use crate::order::{CheckoutId, Order, OrderId};

/// What admitting an order did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Admission {
    /// The order is new: this checkout was opened for it.
    Opened(CheckoutId),
    /// The same order was admitted before: this is its checkout.
    Existing(CheckoutId),
}

impl Admission {
    pub fn checkout(&self) -> &CheckoutId {
        match self {
            Admission::Opened(id) | Admission::Existing(id) => id,
        }
    }
}

/// Why an order was not admitted.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum Conflict {
    #[error("order {order} was placed before with {field} {was}, not {now}")]
    DifferentOrder { order: OrderId, field: String, was: String, now: String },
    #[error("checkout id {0} is already in use; a new checkout needs a new id")]
    CheckoutIdInUse(CheckoutId),
}

/// Every order admitted, and the checkout each opened.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct OrderRegistry {
    admitted: BTreeMap<OrderId, (Order, CheckoutId)>,
    checkouts: BTreeSet<CheckoutId>,
}

impl OrderRegistry {
    /// Admits `order`, opening checkout `fresh` if the order is new (by the rules above).
    pub fn admit(&mut self, order: &Order, fresh: CheckoutId) -> Result<Admission, Conflict> {
        if let Some((known, checkout)) = self.admitted.get(order.id()) {
            if known == order {
                return Ok(Admission::Existing(checkout.clone()));
            }
            return Err(difference(known, order));
        }
        if !self.checkouts.insert(fresh.clone()) {
            return Err(Conflict::CheckoutIdInUse(fresh));
        }
        self.admitted.insert(order.id().clone(), (order.clone(), fresh.clone()));
        Ok(Admission::Opened(fresh))
    }

    /// A registry as a store read it back (or the part of it one admission needs): the orders
    /// admitted with their checkouts, and checkout ids in use.
    pub fn restore(
        admitted: impl IntoIterator<Item = (Order, CheckoutId)>,
        checkouts: impl IntoIterator<Item = CheckoutId>,
    ) -> OrderRegistry {
        let mut registry = OrderRegistry::default();
        for (order, checkout) in admitted {
            registry.checkouts.insert(checkout.clone());
            registry.admitted.insert(order.id().clone(), (order, checkout));
        }
        registry.checkouts.extend(checkouts);
        registry
    }

    /// The checkout opened for `order`, if it was admitted.
    pub fn checkout_of(&self, order: &OrderId) -> Option<&CheckoutId> {
        self.admitted.get(order).map(|(_, checkout)| checkout)
    }
}

/// The first field, by its name on the wire, in which two orders with one id differ.
fn difference(was: &Order, now: &Order) -> Conflict {
    let fields = |order: &Order| match serde_json::to_value(order) {
        Ok(serde_json::Value::Object(fields)) => fields,
        _ => serde_json::Map::new(),
    };
    let (before, after) = (fields(was), fields(now));
    let (field, old, new) = before
        .iter()
        .find_map(|(name, old)| {
            let new = after.get(name).unwrap_or(&serde_json::Value::Null);
            (new != old).then(|| (name.clone(), old.to_string(), new.to_string()))
        })
        .unwrap_or_else(|| ("order".into(), format!("{was:?}"), format!("{now:?}")));
    Conflict::DifferentOrder { order: was.id().clone(), field, was: excerpt(&old), now: excerpt(&new) }
}
