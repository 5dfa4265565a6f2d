//! One command, performed against the ports: the only place that knows which port answers which
//! command. A store command goes to the stores and comes back as the event they answer, untouched.

use checkout_domain::fencing::Fence;
use checkout_domain::{Command, Event};

use crate::ports::{CourierQueue, CourierRequest, KeyedStores, Notifier, PortError};

/// The ports a checkout's commands go to.
#[derive(Clone, Copy)]
pub struct Adapters<'a> {
    pub stores: &'a dyn KeyedStores,
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
    if let Some(request) = CourierRequest::of(command) {
        adapters.courier.send(&request).await?;
        return Ok(None);
    }
    match command {
        Command::NotifyCourier { key, courier, order } => {
            adapters.notifier.notify(fence, key, courier, order).await?;
            Ok(Some(Event::CourierNotified))
        }
        store_command => adapters.stores.perform(fence, store_command, now_ms).await.map(Some),
    }
}
