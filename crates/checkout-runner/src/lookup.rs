//! Finding a checkout the way people name it: by its checkout id, or by the id of its order.

use checkout_domain::{CheckoutId, CheckoutState};
use checkout_ports::{CheckoutRepository, ShopAdmin, StorageError};

/// The checkout with id `id`, or else the one opened for the order with id `id`.
pub async fn find_checkout<S>(shop: &S, id: &str) -> Result<Option<CheckoutState>, StorageError>
where
    S: CheckoutRepository + ShopAdmin + ?Sized,
{
    if let Ok(checkout) = CheckoutId::new(id) {
        if let Some(found) = shop.load(&checkout).await? {
            return Ok(Some(found));
        }
    }
    Ok(shop.checkouts().await?.into_iter().find(|c| c.order().id().as_str() == id))
}
