//! Leases between runners on one shop, on the wall clock: a runner keeps the leases of what it
//! drives, gives them up when it stops, never takes over its own checkouts, and a sweeping
//! survivor drives a dead runner's checkouts to their end; `drive_all` ends every checkout it
//! is given, whoever holds it.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use checkout_domain::fencing::Lease;
use checkout_domain::{CheckoutId, CourierId, Next, Outcome};
use checkout_drive::leases::supervise;
use checkout_drive::world::RealWorld;
use checkout_drive::{CourierAnswer, DriveError, Driver};
use checkout_memory::MemoryShop;
use checkout_ports::{CheckoutRepository, Clock};
use common::{admit, real_time, runner_on, stocked};

type WallRunner = Arc<Driver<MemoryShop, RealWorld>>;

/// A runner over `shop` holding checkouts under leases of `lease_ms` real milliseconds.
fn runner(shop: &Arc<MemoryShop>, lease_ms: u64) -> WallRunner {
    let runner = runner_on(Arc::clone(shop), real_time());
    Arc::new(Arc::into_inner(runner).unwrap().with_lease_ms(lease_ms))
}

/// A courier worker in the runner's process that finds a courier for every request at once.
fn answer_every_request(runner: &WallRunner) -> tokio::task::JoinHandle<()> {
    let mut handed = runner.hand_courier_requests();
    let runner = Arc::clone(runner);
    tokio::spawn(async move {
        while let Some(request) = handed.recv().await {
            runner.deliver(request.token, CourierAnswer::Assigned(CourierId::new("c-1").unwrap()));
        }
    })
}

/// Starts driving `id` on `runner` (its courier wait lasts the whole test unless answered) and
/// waits until it listens for the courier.
async fn driving_until_it_waits(runner: &WallRunner, id: &CheckoutId) -> tokio::task::JoinHandle<()> {
    let driving = {
        let (runner, id) = (Arc::clone(runner), id.clone());
        tokio::spawn(async move {
            let _ = runner.drive(&id).await;
        })
    };
    for _ in 0..500 {
        if runner.listening() == 1 {
            return driving;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the checkout never came to wait for its courier");
}

async fn outcome_within(shop: &MemoryShop, id: &CheckoutId, within: Duration) -> Option<Outcome> {
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        if let Next::Finished(outcome) = shop.load(id).await.unwrap().unwrap().next() {
            return Some(outcome);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[tokio::test]
async fn a_runner_keeps_the_leases_of_what_it_drives_while_it_waits() {
    let shop = Arc::new(stocked().await);
    let id = admit(&shop, 1, Lease::LAPSED).await;
    // Leases of 1.5 s, renewed every 0.5 s: a second of slack for a busy machine.
    let holder = runner(&shop, 1_500);
    let supervising = tokio::spawn(supervise(Arc::clone(&holder), false));
    let driving = driving_until_it_waits(&holder, &id).await;
    // Looked at over two leases' time: without renewal, or renewed less often than a lease
    // lasts, the claim would lapse in between.
    for _ in 0..30 {
        assert!(shop.lapsed(real_time().now_ms()).await.unwrap().is_empty(), "the holder renewed its lease");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let other = runner(&shop, 1_500);
    assert!(other.take_over_lapsed().await.unwrap().is_empty());
    supervising.abort();
    driving.abort();
}

#[tokio::test]
async fn a_sweeping_survivor_drives_a_dead_runners_checkouts_to_their_end() {
    let shop = Arc::new(stocked().await);
    let ids = [admit(&shop, 1, Lease::LAPSED).await, admit(&shop, 2, Lease::LAPSED).await];
    // A runner claims both and dies before driving them: their leases lapse in 200 ms.
    for id in &ids {
        shop.claim(id, Lease::starting(real_time().now_ms(), 200)).await.unwrap().unwrap();
    }
    let survivor = runner(&shop, 300);
    let worker = answer_every_request(&survivor);
    let supervising = tokio::spawn(supervise(Arc::clone(&survivor), true));
    for id in &ids {
        assert_eq!(outcome_within(&shop, id, Duration::from_secs(10)).await, Some(Outcome::Dispatched), "{id}");
    }
    supervising.abort();
    worker.abort();
}

#[tokio::test]
async fn a_runner_that_only_renews_takes_nothing_over() {
    let shop = Arc::new(stocked().await);
    let id = admit(&shop, 1, Lease::LAPSED).await;
    shop.claim(&id, Lease::starting(real_time().now_ms(), 1)).await.unwrap().unwrap();
    let renewer = runner(&shop, 300);
    let supervising = tokio::spawn(supervise(Arc::clone(&renewer), false));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!matches!(shop.load(&id).await.unwrap().unwrap().next(), Next::Finished(_)));
    assert_eq!(shop.lapsed(real_time().now_ms()).await.unwrap(), [id], "still lapsed, for a sweeper");
    supervising.abort();
}

#[tokio::test]
async fn a_runner_never_takes_over_a_checkout_it_drives_itself() {
    let shop = Arc::new(stocked().await);
    let id = admit(&shop, 1, Lease::LAPSED).await;
    // Leases of 1 ms, never renewed: the drive's own lease lapses at once.
    let holder = runner(&shop, 1);
    let driving = driving_until_it_waits(&holder, &id).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert!(holder.take_over_lapsed().await.unwrap().is_empty(), "it drives that checkout already");
    let other = runner(&shop, 1);
    let taken = other.take_over_lapsed().await.unwrap();
    assert_eq!(taken.iter().map(|(_, checkout)| checkout.id().clone()).collect::<Vec<_>>(), [id]);
    driving.abort();
}

#[tokio::test]
async fn a_runner_that_stops_gives_its_leases_up_at_once() {
    let shop = Arc::new(stocked().await);
    let id = admit(&shop, 1, Lease::LAPSED).await;
    let holder = runner(&shop, 600_000);
    let driving = driving_until_it_waits(&holder, &id).await;
    let other = runner(&shop, 600_000);
    assert!(other.take_over_lapsed().await.unwrap().is_empty(), "held for ten minutes");
    holder.release_leases().await.unwrap();
    let taken = other.take_over_lapsed().await.unwrap();
    assert_eq!(taken.len(), 1, "given up, so taken over without waiting out the lease");
    driving.abort();
}

#[tokio::test]
async fn drive_all_ends_every_checkout_it_is_given_whoever_holds_it() {
    let shop = Arc::new(stocked().await);
    let mut ids = Vec::new();
    for n in 1..=4 {
        ids.push(admit(&shop, n, Lease::LAPSED).await);
    }
    // A runner that died holds the last one for another 300 ms.
    shop.claim(&ids[3], Lease::starting(real_time().now_ms(), 300)).await.unwrap().unwrap();
    let survivor = runner(&shop, 300);
    let worker = answer_every_request(&survivor);
    let ended = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&ended);
    let run =
        checkout_drive::drive_all(Arc::clone(&survivor), futures::stream::iter(ids.clone()), 2, move |id, outcome| {
            seen.lock().unwrap().push((id.clone(), outcome.as_ref().ok().copied()));
        });
    tokio::time::timeout(Duration::from_secs(20), run).await.expect("every checkout ends");
    let mut ended = ended.lock().unwrap().clone();
    ended.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(ended, ids.iter().map(|id| (id.clone(), Some(Outcome::Dispatched))).collect::<Vec<_>>());
    worker.abort();
}

#[tokio::test]
async fn drive_unless_held_leaves_a_held_checkout_and_reports_an_ended_one() {
    let shop = Arc::new(stocked().await);
    let id = admit(&shop, 1, Lease::LAPSED).await;
    shop.claim(&id, Lease::starting(real_time().now_ms(), 600_000)).await.unwrap().unwrap();
    let other = runner(&shop, 300);
    assert_eq!(other.drive_unless_held(&id).await.unwrap(), None, "another runner holds it");
    let driver = runner_on(Arc::clone(&shop), RealWorld::new(100_000));
    // At 100,000x the courier deadline passes at once: the checkout compensates.
    assert_eq!(driver.drive(&id).await.unwrap(), Outcome::Compensated);
    assert_eq!(other.drive_unless_held(&id).await.unwrap(), Some(Outcome::Compensated), "ended elsewhere");
    let unknown = CheckoutId::new("ck-unknown").unwrap();
    assert!(matches!(other.drive_unless_held(&unknown).await, Err(DriveError::Missing(_))));
}
