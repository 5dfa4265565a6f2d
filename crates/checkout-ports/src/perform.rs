//! One command, performed against the ports: the only place that knows which port answers which
//! command and which event each answer becomes.

use checkout_domain::fencing::Fence;
use checkout_domain::{Command, Event};

use crate::ports::{CourierQueue, CourierRequest, Notifier, PaymentService, PointsStore, PortError, StockStore};

/// The ports a checkout's commands go to.
#[derive(Clone, Copy)]
pub struct Adapters<'a> {
    pub stock: &'a dyn StockStore,
    pub points: &'a dyn PointsStore,
    pub payments: &'a dyn PaymentService,
    pub notifier: &'a dyn Notifier,
    pub courier: &'a dyn CourierQueue,
}

/// Performs `command` for the incarnation holding `fence`, and returns the event to feed back.
/// `now_ms` is when the reply arrives, which starts the courier deadline after a charge. A sent
/// courier request has no event: its answer comes from the worker (`None`).
pub async fn perform(
    adapters: Adapters<'_>,
    fence: Fence,
    command: &Command,
    now_ms: u64,
) -> Result<Option<Event>, PortError> {
    let event = match command {
        Command::ReserveStock { key, book, quantity } => {
            match adapters.stock.reserve(fence, key, book, *quantity).await? {
                Ok(reservation) => Event::StockReserved(reservation),
                Err(unavailable) => Event::StockUnavailable(unavailable),
            }
        }
        Command::ReleaseStock { key, book, quantity } => {
            Event::StockReleased(adapters.stock.release(fence, key, book, *quantity).await?)
        }
        Command::RedeemPoints { key, user, up_to } => {
            Event::PointsRedeemed(adapters.points.redeem(fence, key, user, *up_to).await?)
        }
        Command::RestorePoints { key, user, up_to } => {
            Event::PointsRestored(adapters.points.restore(fence, key, user, *up_to).await?)
        }
        Command::Charge { key, user, amount } => {
            let receipt = adapters.payments.charge(fence, key, user, *amount).await?;
            Event::Charged { receipt, now_ms }
        }
        Command::Refund { key, user, amount } => {
            Event::Refunded(adapters.payments.refund(fence, key, user, *amount).await?)
        }
        Command::NotifyCourier { key, courier, order } => {
            adapters.notifier.notify(fence, key, courier, order).await?;
            Event::CourierNotified
        }
        Command::RequestCourier { .. } => {
            let request = CourierRequest::of(command).expect("a courier request");
            adapters.courier.send(&request).await?;
            return Ok(None);
        }
    };
    Ok(Some(event))
}
