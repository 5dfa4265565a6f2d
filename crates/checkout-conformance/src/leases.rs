//! The lease contract (`checkout_domain::fencing::Slot`) every checkout repository keeps: a
//! takeover claims only a checkout whose lease has lapsed, and of runners sweeping at once one
//! takes it; a renewal extends only the latest claim's lease; the lapsed list holds unfinished
//! checkouts only; a host's lease never lapses.

use std::sync::Arc;

use checkout_domain::fencing::{Fence, Lease};
use checkout_domain::{CheckoutId, Event};
use checkout_ports::SaveError;
use std::future::Future;

use crate::{close_failed, order, seed, Subject};

/// A time a century from the epoch, in milliseconds: later than any lease a runner takes.
const A_CENTURY_MS: u64 = 100 * 365 * 24 * 3_600_000;

/// Time runs as the test says: each step names its `now`, so nothing depends on the clock of
/// the machine running the suite.
pub async fn a_takeover_waits_for_the_lease_to_lapse<S, F, Fut>(make: F)
where
    S: Subject,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    let shop = Arc::new(make().await);
    seed(shop.as_ref()).await;
    let id = CheckoutId::new("ck-a").expect("valid");
    shop.admit(&order("o-a", 1), id.clone(), Lease::starting(1_000, 500)).await.expect("admitted");
    let hosted = CheckoutId::new("ck-h").expect("valid");
    shop.admit(&order("o-h", 1), hosted.clone(), Lease::HELD_BY_HOST).await.expect("admitted");

    assert_eq!(shop.lapsed(1_500).await.expect("readable"), [], "a lease holds up to its last millisecond");
    assert_eq!(shop.lapsed(1_501).await.expect("readable"), std::slice::from_ref(&id));
    assert!(shop.take_over(&id, 1_400, Lease::starting(1_400, 500)).await.expect("readable").is_none());

    // The holder renews in time: the checkout is not abandoned at 1,501 any more.
    let renewed = shop.renew(&[(id.clone(), Fence::FIRST)], Lease::starting(1_400, 500)).await.expect("written");
    assert_eq!(renewed, [], "the latest claim renews");
    assert_eq!(shop.lapsed(1_600).await.expect("readable"), []);
    assert!(shop.take_over(&id, 1_600, Lease::starting(1_600, 500)).await.expect("readable").is_none());

    // The holder goes quiet; 16 runners sweep at once after the lease lapsed; one takes over.
    let sweeps: Vec<_> = (0..16)
        .map(|_| {
            let (shop, id) = (Arc::clone(&shop), id.clone());
            tokio::spawn(async move { shop.take_over(&id, 2_000, Lease::starting(2_000, 500)).await })
        })
        .collect();
    let mut taken = Vec::new();
    for sweep in sweeps {
        if let Some(claimed) = sweep.await.expect("no task panics").expect("readable") {
            taken.push(claimed);
        }
    }
    assert_eq!(taken.len(), 1, "one sweeping runner takes the checkout over: {taken:?}");
    let (fence, placed) = taken.pop().expect("one");
    assert!(fence > Fence::FIRST, "a takeover is a claim: {fence:?}");
    assert_eq!(Some(&placed), shop.load(&id).await.expect("readable").as_ref(), "it resumes the record");

    // The old holder wakes: it can neither renew nor save.
    let lost = shop.renew(&[(id.clone(), Fence::FIRST)], Lease::starting(2_100, 500)).await.expect("written");
    assert_eq!(lost, std::slice::from_ref(&id), "a superseded holder's renewal is refused");
    let failed = placed.clone().apply(Event::StepFailed { detail: "the old holder".into() }).expect("can fail");
    let refused = shop.save(&id, Fence::FIRST, &failed, &[]).await;
    assert!(matches!(refused, Err(SaveError::Superseded(_))), "{refused:?}");
    assert_eq!(shop.lapsed(2_400).await.expect("readable"), [], "the taker's lease is the one now");
    assert!(shop.lapsed(2_501).await.expect("readable").contains(&id), "and it lapses in turn");

    // A host's lease never lapses; an ended checkout is nobody's to take over.
    let failed = placed.apply(Event::StepFailed { detail: "the taker".into() }).expect("can fail");
    shop.save(&id, fence, &close_failed(failed), &[]).await.expect("the taker saves");
    assert_eq!(shop.lapsed(A_CENTURY_MS).await.expect("readable"), [], "neither the hosted nor the ended");
    let strangers = [(CheckoutId::new("ck-none").expect("valid"), Fence::FIRST)];
    let lost = shop.renew(&strangers, Lease::starting(2_100, 500)).await.expect("written");
    assert_eq!(lost, [strangers[0].0.clone()], "an unknown checkout is not renewed");
    assert!(shop.take_over(&strangers[0].0, A_CENTURY_MS, Lease::LAPSED).await.expect("readable").is_none());
    assert!(shop.load(&strangers[0].0).await.expect("readable").is_none(), "nor made up");
}
