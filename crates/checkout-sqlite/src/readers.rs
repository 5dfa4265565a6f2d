//! Reads that never queue behind the writer: a lookup (`GET /orders/{order}`, `status`, a
//! checkout's history) runs on a connection of its own, on tokio's blocking pool, while the
//! writer commits. In WAL mode each read sees the last commit made before it began, so a read
//! issued after a write was answered sees that write: the writer answers only once it committed.
//!
//! A handful of connections, opened on first use and kept; at most [`READERS`] reads run at once
//! and the rest wait for a connection. (The pool crates for rusqlite pin their own rusqlite; this
//! is the little of one that the shop needs.)

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use checkout_ports::StorageError;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::Semaphore;

use crate::statements::Cached;

/// How many reads run at once: more would only contend for the machine's cores and the WAL index.
pub const READERS: usize = 4;

/// The shop's read connections.
pub struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
}

impl Readers {
    /// Readers of the shop at `path`, whose tables the writer has already made.
    pub fn new(path: PathBuf) -> Readers {
        Readers { path, idle: Mutex::new(Vec::new()), permits: Semaphore::new(READERS) }
    }

    /// Runs `work` on a read connection, in a read transaction of its own.
    pub async fn run<R, F>(self: &Arc<Self>, work: F) -> Result<R, StorageError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<R> + Send + 'static,
    {
        let _permit =
            self.permits.acquire().await.map_err(|_| StorageError::Stopped("the shop's readers are closed"))?;
        let idle = self.idle.lock().map_err(|_| StorageError::Stopped("the shop's readers failed"))?.pop();
        let path = self.path.clone();
        let (result, conn) = tokio::task::spawn_blocking(move || {
            let conn = match idle {
                Some(conn) => conn,
                None => match open(&path) {
                    Ok(conn) => conn,
                    Err(e) => return (Err(e), None),
                },
            };
            (read(&conn, work), Some(conn))
        })
        .await
        .map_err(|e| StorageError::Failed(format!("a read of the shop stopped: {e}")))?;
        if let (Some(conn), Ok(mut idle)) = (conn, self.idle.lock()) {
            idle.push(conn);
        }
        result.map_err(|e| StorageError::Failed(e.to_string()))
    }
}

/// Every statement of `work` in one read transaction, so that a read of several rows sees one
/// commit.
fn read<R>(conn: &Connection, work: impl FnOnce(&Connection) -> rusqlite::Result<R>) -> rusqlite::Result<R> {
    conn.execute_cached("BEGIN DEFERRED", [])?;
    let result = work(conn);
    let ended = conn.execute_cached("COMMIT", []);
    let read = result?;
    ended?;
    Ok(read)
}

/// A read-write connection held to reads (`query_only`): a read-only one could not open a WAL
/// file whose shared-memory index it may not write.
fn open(path: &std::path::Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.set_prepared_statement_cache_capacity(crate::statements::CACHE_CAPACITY);
    conn.execute_batch("PRAGMA query_only = ON;")?;
    Ok(conn)
}
