//! Lookups never queue behind the writer: while another process holds the write lock (a long
//! write, a second server) and the writer waits for it, a lookup by order or checkout answers.

use checkout_domain::fencing::Lease;
use checkout_domain::{BookId, CheckoutId, Money, Order, OrderId};
use checkout_ports::{CheckoutRepository, Journal, ShopAdmin};
use checkout_sqlite::{Durability, SqliteShop};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookups_answer_while_the_writer_waits_for_the_lock() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("sqlite-readers");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}-readers.db", std::process::id()));
    for stale in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{stale}", path.display()));
    }
    let shop = SqliteShop::open(&path, true, Durability::Fsync).unwrap();
    let order = Order::from_json(r#"{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":1}"#).unwrap();
    let id = CheckoutId::new("ck-1").unwrap();
    shop.admit(&order, id.clone(), Lease::HELD_BY_HOST).await.unwrap();

    let holder = rusqlite::Connection::open(&path).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let write = tokio::spawn({
        let shop = shop.clone();
        async move { shop.stock_book(&BookId::new("b-1").unwrap(), 1, Money::from_minor_units(10)).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(!write.is_finished(), "the writer waits for the lock");

    assert_eq!(shop.checkout_of(&OrderId::new("o-1").unwrap()).await.unwrap(), Some(id.clone()));
    assert_eq!(shop.checkout_of(&OrderId::new("o-404").unwrap()).await.unwrap(), None);
    assert!(shop.load(&id).await.unwrap().is_some());
    assert_eq!(shop.history(&id).await.unwrap(), []);
    assert_eq!(shop.held(&id).await.unwrap().stock, 0);
    assert!(!write.is_finished(), "every lookup answered while the writer was still waiting");

    holder.execute_batch("ROLLBACK").unwrap();
    write.await.unwrap().expect("the write goes through once the lock is released");
}
