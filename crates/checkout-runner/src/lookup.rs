//! Finding a checkout the way people name it: by its order's id or by its own, two namespaces
//! that never shadow each other. Either is one keyed read (the order registry, then the record),
//! whatever the shop holds, so an unknown id costs what a known one does.

use checkout_domain::{CheckoutId, CheckoutState, OrderError, OrderId};
use checkout_ports::{CheckoutRepository, StorageError};

/// A checkout as a person names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Named {
    Order(OrderId),
    Checkout(CheckoutId),
}

impl Named {
    /// The checkout of order `id`; an id no order could have is refused, naming what is wrong.
    pub fn order(id: &str) -> Result<Named, OrderError> {
        OrderId::new(id).map(Named::Order)
    }

    /// The checkout `id`; an id no checkout could have is refused, naming what is wrong.
    pub fn checkout(id: &str) -> Result<Named, OrderError> {
        CheckoutId::new(id).map(Named::Checkout)
    }

    /// The checkout so named, if there is one.
    pub async fn find<S>(&self, shop: &S) -> Result<Option<CheckoutState>, StorageError>
    where
        S: CheckoutRepository + ?Sized,
    {
        let id = match self {
            Named::Checkout(id) => id.clone(),
            Named::Order(order) => match shop.checkout_of(order).await? {
                Some(id) => id,
                None => return Ok(None),
            },
        };
        shop.load(&id).await
    }
}

impl std::fmt::Display for Named {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Named::Order(id) => write!(f, "order {id}"),
            Named::Checkout(id) => write!(f, "checkout {id}"),
        }
    }
}

/// `--order <id>` or `--checkout <id>`: which checkout a command is about.
#[derive(Clone, Debug, clap::Args)]
#[group(required = true, multiple = false)]
pub struct WhichArgs {
    /// The checkout of this order.
    #[arg(long)]
    order: Option<String>,
    /// This checkout.
    #[arg(long)]
    checkout: Option<String>,
}

impl WhichArgs {
    pub fn named(&self) -> Result<Named, OrderError> {
        // clap's group requires exactly one of the two; neither would be refused as an empty id.
        match &self.order {
            Some(order) => Named::order(order),
            None => Named::checkout(self.checkout.as_deref().unwrap_or_default()),
        }
    }
}
