//! A full disk: while the database cannot grow, a step that does not fit is not acknowledged and is
//! tried again, checkouts wait, and what did get written is whole; once there is room again,
//! every checkout resumes and ends, and the audit finds nothing lost.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use checkout_domain::fencing::Lease;
use checkout_domain::registry::Admission;
use checkout_domain::{BookId, CheckoutId, Money, Order, UserId};
use checkout_drive::courier::WorkerBehaviour;
use checkout_drive::world::RealWorld;
use checkout_drive::{drive_all, Driver};
use checkout_engine::{Engine, Policy};
use checkout_ports::{CheckoutRepository, ShopAdmin};
use checkout_runner::audit::audit;
use checkout_runner::worker::run_in_process;
use checkout_sqlite::{Durability, SqliteShop};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_moves_while_the_disk_is_full_and_everything_ends_after() {
    let path = crate::common::scratch("full-disk", "shop.db");
    let shop = SqliteShop::open(&path, true, Durability::Fsync).unwrap();
    shop.stock_book(&BookId::new("b-1").unwrap(), 50, Money::from_minor_units(30)).await.unwrap();
    shop.open_customer(&UserId::new("u-1").unwrap(), 1_000_000, 100).await.unwrap();
    let mut ids = Vec::new();
    for n in 0..40 {
        let order = Order::from_json(&format!(
            r#"{{"orderId":"o-{n}","bookId":"b-1","userId":"u-1","quantity":1,"redeem":{}}}"#,
            n % 2 == 0
        ))
        .unwrap();
        let Admission::Opened(id) =
            shop.admit(&order, CheckoutId::new(format!("ck-{n}")).unwrap(), Lease::LAPSED).await.unwrap()
        else {
            panic!("a new order")
        };
        ids.push(id);
    }
    let full = shop.pages().await.unwrap();
    assert_eq!(shop.limit_pages(Some(full)).await.unwrap(), full, "the file may not grow from here");

    let shop = Arc::new(shop);
    let runner = Arc::new(Driver::new(Arc::clone(&shop), Engine::new(Policy::default(), 3), RealWorld::new(1000)));
    let worker = tokio::spawn(run_in_process(Arc::clone(&runner), WorkerBehaviour::default(), 3));
    let ended = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&ended);
    let driving = tokio::spawn(drive_all(Arc::clone(&runner), futures::stream::iter(ids), 16, move |_, outcome| {
        assert!(outcome.is_ok(), "{outcome:?}");
        counter.fetch_add(1, Ordering::Relaxed);
    }));
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Unhindered, all 40 end in a tenth of this time; with the disk full, most steps cannot be
    // written, and those checkouts wait.
    let ended_while_full = ended.load(Ordering::Relaxed);
    assert!(ended_while_full < 20, "{ended_while_full} checkouts ended although the disk was full");
    assert!(runner.writes_failing(), "the runner knows its writes fail (what /ready answers)");
    // A read shares its batch with writes that may fail (and then the whole batch is undone): it
    // is tried until its batch commits.
    let mut reads = None;
    for _ in 0..100 {
        if let (Ok(unfinished), Ok(report)) = (shop.unfinished().await, audit(shop.as_ref(), 0, false).await) {
            reads = Some((unfinished.len(), report));
            break;
        }
    }
    let (unfinished, midway) = reads.expect("reads get through while the disk is full");
    assert!(unfinished > 20, "most are still unfinished in the database: {unfinished}");
    // Some writes still fit in the file's free space, most do not: whatever got in is whole.
    assert!(midway.passed(), "while full: {:?}", midway.findings);

    // Lifting the limit shares its batch with writes that may fail too: tried until it commits.
    let mut lifted = Err(checkout_ports::StorageError::Failed("not tried".into()));
    for _ in 0..100 {
        lifted = shop.limit_pages(None).await;
        if lifted.is_ok() {
            break;
        }
    }
    lifted.expect("the limit is lifted");
    tokio::time::timeout(Duration::from_secs(60), driving).await.expect("all end once there is room").unwrap();
    worker.abort();
    assert_eq!(ended.load(Ordering::Relaxed), 40);
    assert!(!runner.writes_failing(), "and that they go through again");
    let report = audit(shop.as_ref(), 0, true).await.unwrap();
    assert!(report.passed(), "{:?}", report.findings);
    assert_eq!(report.phases.values().sum::<usize>(), 40);
}
