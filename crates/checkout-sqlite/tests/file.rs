//! The database file: what is committed survives closing and reopening; a missing, foreign or
//! corrupt file is refused with one clear line; the write-ahead log does not grow without end.

use checkout_conformance::StoreCalls;
use checkout_domain::fencing::{Fence, Lease};
use checkout_domain::operation::Supplied;
use checkout_domain::{BookId, CheckoutId, Effect, EffectKey, Money, Order, Phase, Quantity, UserId};
use checkout_ports::listing::PhaseQuery;
use checkout_ports::{CheckoutRepository, ShopAdmin};
use checkout_sqlite::{Durability, OpenError, SqliteShop};

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("sqlite-file");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}-{name}", std::process::id()));
    for stale in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{stale}", path.display()));
    }
    path
}

#[tokio::test]
async fn what_was_acknowledged_is_there_after_reopening() {
    let path = scratch("reopen.db");
    let book = BookId::new("b-1").unwrap();
    let key = EffectKey::new(&CheckoutId::new("ck-1").unwrap(), Effect::ReserveStock);
    {
        let shop = SqliteShop::open(&path, true, Durability::Fsync).unwrap();
        shop.stock_book(&book, 2, Money::from_minor_units(30)).await.unwrap();
        let order = Order::from_json(r#"{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":1}"#).unwrap();
        shop.admit(&order, CheckoutId::new("ck-1").unwrap(), Lease::LAPSED).await.unwrap();
        shop.reserve(Fence::FIRST, &key, &book, Quantity::new(1).unwrap()).await.unwrap().unwrap();
    }
    let shop = SqliteShop::open(&path, false, Durability::Fsync).unwrap();
    assert_eq!(shop.balances().await.unwrap().stock[&book], 1);
    assert_eq!(shop.held(&CheckoutId::new("ck-1").unwrap()).await.unwrap().stock, 1);
    assert_eq!(shop.unfinished().await.unwrap(), [CheckoutId::new("ck-1").unwrap()]);
    let replay = shop.reserve(Fence::FIRST, &key, &book, Quantity::new(1).unwrap()).await.unwrap().unwrap();
    assert_eq!(replay.unit_price, Money::from_minor_units(30), "a replay after reopening gets the first answer");
    assert_eq!(shop.balances().await.unwrap().stock[&book], 1, "and takes nothing more");
}

/// What schema 4 lacked of schema 5: the listing's columns and index.
const BEFORE_LISTING: &str = "DROP INDEX checkouts_by_phase; ALTER TABLE checkouts DROP COLUMN phase; \
                              ALTER TABLE checkouts DROP COLUMN since_ms;";

/// A shop made before leases (schema 2) opens as schema 5 with its checkouts intact; they carry
/// no lease, so the first runner to sweep takes them over. Opening it again changes nothing more.
#[tokio::test]
async fn a_shop_from_before_leases_is_migrated_and_its_checkouts_taken_over() {
    let path = scratch("v2.db");
    let id = CheckoutId::new("ck-1").unwrap();
    {
        let shop = SqliteShop::open(&path, true, Durability::Fsync).unwrap();
        shop.stock_book(&BookId::new("b-1").unwrap(), 2, Money::from_minor_units(30)).await.unwrap();
        let order = Order::from_json(r#"{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":1}"#).unwrap();
        shop.admit(&order, id.clone(), Lease::HELD_BY_HOST).await.unwrap();
    }
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(&format!(
            "ALTER TABLE checkouts DROP COLUMN lease_until; DROP TABLE operations; {BEFORE_LISTING}
             UPDATE meta SET value = '2' WHERE name = 'schema';"
        ))
        .unwrap();
    }
    for _ in 0..2 {
        let shop = SqliteShop::open(&path, false, Durability::Fsync).unwrap();
        assert_eq!(shop.lapsed(1).await.unwrap(), std::slice::from_ref(&id), "no lease: abandoned");
        assert_eq!(shop.unfinished().await.unwrap(), std::slice::from_ref(&id));
    }
    let shop = SqliteShop::open(&path, false, Durability::Fsync).unwrap();
    let (fence, placed) = shop.take_over(&id, 1, Lease::starting(1, 500)).await.unwrap().unwrap();
    assert_eq!((fence, placed.id()), (Fence::from_stored(2), &id), "taken over from the first claim");
    let conn = rusqlite::Connection::open(&path).unwrap();
    let schema: String = conn.query_row("SELECT value FROM meta WHERE name = 'schema'", [], |r| r.get(0)).unwrap();
    assert_eq!(schema, "5");
}

/// A shop made before listings (schema 4) lists its checkouts by the phase their records name,
/// as not having moved since it was upgraded (0) until their next step.
#[tokio::test]
async fn a_shop_from_before_listings_lists_its_checkouts_by_phase() {
    let path = scratch("v4.db");
    let id = CheckoutId::new("ck-1").unwrap();
    {
        let shop = SqliteShop::open(&path, true, Durability::Fsync).unwrap();
        let order = Order::from_json(r#"{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":1}"#).unwrap();
        shop.admit(&order, id.clone(), Lease::HELD_BY_HOST).await.unwrap();
    }
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(&format!("{BEFORE_LISTING} UPDATE meta SET value = '4' WHERE name = 'schema';")).unwrap();
    }
    let shop = SqliteShop::open(&path, false, Durability::Fsync).unwrap();
    let query = PhaseQuery { phase: Phase::Placed, after: None, moved_before_ms: None, limit: 10 };
    let listed = shop.list(&query).await.unwrap();
    assert_eq!(listed.iter().map(|l| (l.checkout.as_str(), l.since_ms)).collect::<Vec<_>>(), [("ck-1", 0)]);
}

/// A shop made before the operator journal (schema 3) journals what its accounts have in all as
/// it finds them, copies out on reservations included, once: the audit holds it to that.
#[tokio::test]
async fn a_shop_from_before_the_operator_journal_journals_its_supply_once() {
    let path = scratch("v3.db");
    let (book, user) = (BookId::new("b-1").unwrap(), UserId::new("u-1").unwrap());
    {
        let shop = SqliteShop::open(&path, true, Durability::Fsync).unwrap();
        shop.stock_book(&book, 3, Money::from_minor_units(30)).await.unwrap();
        shop.open_customer(&user, 500, 7).await.unwrap();
        let key = EffectKey::new(&CheckoutId::new("ck-1").unwrap(), Effect::ReserveStock);
        shop.reserve(Fence::FIRST, &key, &book, Quantity::new(2).unwrap()).await.unwrap().unwrap();
    }
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(&format!(
            "DROP TABLE operations; {BEFORE_LISTING} UPDATE meta SET value = '3' WHERE name = 'schema';"
        ))
        .unwrap();
    }
    for _ in 0..2 {
        let shop = SqliteShop::open(&path, false, Durability::Fsync).unwrap();
        let journal = shop.operations().await.unwrap();
        let supplied = Supplied::of(journal.iter().map(|r| &r.operation));
        assert_eq!(supplied.copies[&book], 3, "the copies on the shelf and the two reserved: {journal:?}");
        assert_eq!((supplied.funds[&user], supplied.points[&user]), (500, 7));
        assert_eq!(journal.len(), 3, "one operation per account, journaled once: {journal:?}");
    }
}

#[test]
fn a_missing_foreign_or_corrupt_file_is_refused_clearly() {
    let missing = scratch("missing.db");
    let err = SqliteShop::open(&missing, false, Durability::Fsync).err().unwrap();
    assert!(matches!(err, OpenError::Missing { .. }));
    assert!(err.to_string().ends_with("does not exist; create it first (`checkout init`)"), "{err}");

    let corrupt = scratch("corrupt.db");
    std::fs::write(&corrupt, b"this is not a database, just text that is long enough to matter").unwrap();
    let err = SqliteShop::open(&corrupt, false, Durability::Fsync).err().unwrap();
    assert!(err.to_string().contains("file is not a database"), "{err}");
    assert_eq!(err.to_string().lines().count(), 1);

    let foreign = scratch("foreign.db");
    {
        let conn = rusqlite::Connection::open(&foreign).unwrap();
        conn.execute_batch(
            "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT); INSERT INTO meta VALUES ('schema', '99');",
        )
        .unwrap();
    }
    let err = SqliteShop::open(&foreign, false, Durability::Fsync).err().unwrap();
    assert!(err.to_string().contains("schema 99, expected 5"), "{err}");
}

/// Another application's database is refused by every way of opening it, `init`'s included, and
/// left exactly as it was: no shop tables made in it, its journal mode not switched to WAL.
/// (Before, `status`, `audit` and `serve` made the shop's tables in it and switched it to WAL.)
#[test]
fn another_applications_database_is_refused_unchanged() {
    let foreign = scratch("app.db");
    {
        let conn = rusqlite::Connection::open(&foreign).unwrap();
        conn.execute_batch(
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes VALUES (1, 'mine');",
        )
        .unwrap();
    }
    let before = std::fs::read(&foreign).unwrap();
    for create in [false, true] {
        let err = SqliteShop::open(&foreign, create, Durability::Fsync).err().unwrap();
        assert!(matches!(err, OpenError::NotAShop { found: 1, .. }), "{err}");
        assert!(err.to_string().contains("is not a shop") && err.to_string().lines().count() == 1, "{err}");
    }
    assert_eq!(std::fs::read(&foreign).unwrap(), before, "the file is unchanged");
    let conn = rusqlite::Connection::open(&foreign).unwrap();
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |row| row.get(0)).unwrap();
    assert_eq!(mode, "delete", "not switched to WAL");

    // An empty file is no shop either, until `init` (create) makes one of it.
    let empty = scratch("empty.db");
    std::fs::write(&empty, b"").unwrap();
    assert!(matches!(SqliteShop::open(&empty, false, Durability::Fsync), Err(OpenError::Empty { .. })));
    assert!(SqliteShop::open(&empty, true, Durability::Fsync).is_ok());
}

/// Another process holding the database (a long write, a second server) makes a call wait for it,
/// up to the busy timeout, then fail with one clear line; nothing is half-done, and the shop works
/// again once the lock is gone.
#[tokio::test]
async fn a_locked_database_fails_a_call_clearly_and_recovers() {
    let path = scratch("locked.db");
    let shop = SqliteShop::open(&path, true, Durability::Fsync).unwrap();
    shop.stock_book(&BookId::new("b-1").unwrap(), 2, Money::from_minor_units(30)).await.unwrap();
    let holder = rusqlite::Connection::open(&path).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let started = std::time::Instant::now();
    let err = shop.stock_book(&BookId::new("b-2").unwrap(), 1, Money::from_minor_units(10)).await.unwrap_err();
    assert!(err.to_string().contains("database is locked"), "{err}");
    assert!(started.elapsed() >= std::time::Duration::from_secs(4), "it waited for the lock first");
    holder.execute_batch("ROLLBACK").unwrap();
    let balances = shop.balances().await.unwrap();
    assert_eq!(balances.stock.len(), 1, "the failed call left nothing behind: {balances:?}");
    shop.stock_book(&BookId::new("b-2").unwrap(), 1, Money::from_minor_units(10)).await.unwrap();
    assert_eq!(shop.balances().await.unwrap().stock.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_a_writer_that_never_rests_the_log_still_starts_over() {
    let path = scratch("log.db");
    let shop = std::sync::Arc::new(SqliteShop::open(&path, true, Durability::NoFsync).unwrap());
    let book = BookId::new("b-1").unwrap();
    shop.stock_book(&book, 1_000_000, Money::from_minor_units(30)).await.unwrap();
    // 64 tasks keep the writer busy: every batch commits while the next is already queued, so
    // a checkpoint beside it never finds the log all copied at a quiet moment.
    let writers: Vec<_> = (0..64)
        .map(|task| {
            let (shop, book) = (std::sync::Arc::clone(&shop), book.clone());
            tokio::spawn(async move {
                for n in 0..300 {
                    let checkout = CheckoutId::new(format!("ck-{task}-{n}")).unwrap();
                    let key = EffectKey::new(&checkout, Effect::ReserveStock);
                    shop.reserve(Fence::FIRST, &key, &book, Quantity::new(1).unwrap()).await.unwrap().unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    assert_eq!(shop.balances().await.unwrap().stock[&book], 1_000_000 - 64 * 300);
    // About 19,200 commits of a few pages each: without starting over, the log would hold them
    // all (150 MB when tried). It starts over once past 1000 pages, so it stays near 5 MB.
    let log = std::fs::metadata(format!("{}-wal", path.display())).unwrap().len();
    assert!(log < 12 << 20, "the log grew to {log} bytes");
}
