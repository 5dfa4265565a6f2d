//! Driving many checkouts at once: what `checkout run` does with the orders it admitted, at most
//! so many in flight, leaving to another runner what it holds under a live lease.

use std::sync::Arc;

use checkout_domain::{CheckoutId, Outcome};
use checkout_ports::Shop;

use crate::{DriveError, Driver, World};

/// Drives every checkout `ids` yields to its end, at most `in_flight` at once, calling `ended`
/// once for each as it ends. `ids` is read only as checkouts end, so a run over a million orders
/// keeps in memory what is in flight, not what it has driven. A checkout another runner holds
/// under a live lease (or takes over from this one) is left to it and looked at again every
/// third of a lease: taken over if its lease lapses, reported when it ends, whoever ended it. So
/// runs side by side on one shop each end with every checkout ended, and none is driven by two.
pub async fn drive_all<S: Shop, W: World>(
    runner: Arc<Driver<S, W>>,
    ids: impl futures::Stream<Item = CheckoutId> + Send,
    in_flight: usize,
    ended: impl Fn(&CheckoutId, &Result<Outcome, DriveError>) + Send + Sync + 'static,
) {
    use futures::StreamExt;
    let permits = Arc::new(tokio::sync::Semaphore::new(in_flight.max(1)));
    let ended = Arc::new(ended);
    let mut tasks = tokio::task::JoinSet::new();
    // Answers the checkout again if another runner holds it.
    let spawn = |tasks: &mut tokio::task::JoinSet<Option<CheckoutId>>, id: CheckoutId, permit| {
        let (runner, ended) = (Arc::clone(&runner), Arc::clone(&ended));
        tasks.spawn(async move {
            let _permit: tokio::sync::OwnedSemaphorePermit = permit;
            match runner.drive_unless_held(&id).await {
                Ok(Some(outcome)) => ended(&id, &Ok(outcome)),
                Ok(None) | Err(DriveError::Superseded(_)) => return Some(id),
                Err(e) => ended(&id, &Err(e)),
            }
            None
        });
    };
    let mut held_elsewhere = Vec::new();
    let mut ids = std::pin::pin!(ids);
    while let Some(id) = ids.next().await {
        let permit = Arc::clone(&permits).acquire_owned().await.expect("the semaphore is never closed");
        // Ended tasks are collected as new ones start: a JoinSet keeps each until it is joined.
        while let Some(joined) = tasks.try_join_next() {
            held_elsewhere.extend(joined.ok().flatten());
        }
        spawn(&mut tasks, id, permit);
    }
    loop {
        while let Some(joined) = tasks.join_next().await {
            held_elsewhere.extend(joined.ok().flatten());
        }
        if held_elsewhere.is_empty() {
            return;
        }
        tokio::time::sleep(runner.lease_round()).await;
        for id in std::mem::take(&mut held_elsewhere) {
            let permit = Arc::clone(&permits).acquire_owned().await.expect("the semaphore is never closed");
            spawn(&mut tasks, id, permit);
        }
    }
}
