//! The SQLite shop passes the conformance suite every adapter must pass: each test on a fresh
//! database file, with fsync, as it ships.

use std::sync::atomic::{AtomicUsize, Ordering};

use checkout_sqlite::{Durability, SqliteShop};

/// A new file under cargo's scratch directory for integration tests (cleared by `cargo clean`).
fn fresh_shop() -> SqliteShop {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("sqlite-conformance");
    std::fs::create_dir_all(&dir).expect("the scratch directory");
    let path = dir.join(format!("{}-{}.db", std::process::id(), COUNT.fetch_add(1, Ordering::Relaxed)));
    for stale in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{stale}", path.display()));
    }
    SqliteShop::open(&path, true, Durability::Fsync).expect("a fresh database opens")
}

checkout_conformance::conformance_suite!(fresh_shop());
