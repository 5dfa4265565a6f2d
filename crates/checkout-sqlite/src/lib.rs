//! The embedded store: the whole shop in one SQLite file (bundled, so nothing is installed). It
//! implements every port of `checkout-ports` and passes the conformance suite.
//!
//! - Each call is one atomic step: it reads the part of the shop it touches into the domain's
//!   own values, applies the domain's store rules, and writes back what changed
//!   (see [`slices`]). The keyed-store rules are never restated in SQL.
//! - One writer thread owns the connection and commits in groups (see [`writer`]): every call
//!   waiting is run in one transaction and answered once it has committed.
//! - Nothing is acknowledged to a client before it is on disk ([`Durability::Fsync`], the
//!   default): a commit is handed to the operating system at once, and the runner awaits
//!   `durable` (one fsync of the write-ahead log, shared by whoever waits) before it answers a
//!   client. A checkout's steps in between do not each wait for the disk. SQLite's write-ahead
//!   log keeps commits in order (each frame's checksum covers those before it), so a power cut
//!   loses at most a tail of unacknowledged commits, as if the process had stopped there, which
//!   the runner resumes from like any crash.
//! - Lookups do not queue behind the writer: they read on connections of their own
//!   ([`readers`]), each seeing the last commit.
//! - The writer never waits for the disk: the log is copied back into the database file by a
//!   thread of its own (see [`checkpoint`]), and fsynced for clients by another ([`disk`]).

mod admin;
pub mod checkpoint;
pub mod disk;
mod ports;
pub mod readers;
mod schema;
pub mod slices;
mod statements;
pub mod writer;

use std::path::{Path, PathBuf};
use std::time::Duration;

use std::sync::Arc;

use rusqlite::{Connection, OpenFlags};

use crate::checkpoint::Checkpoints;
use crate::disk::Disk;
use crate::readers::Readers;
use crate::writer::Writer;

/// When a commit counts as done.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// On disk (fsync) before anything is acknowledged to a client: survives a power cut.
    #[default]
    Fsync,
    /// When SQLite has handed it to the operating system: survives the process being killed,
    /// not a power cut. Faster; for benchmarks and throwaway shops.
    NoFsync,
}

/// Why the database file could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot open {path}: {source}")]
    Sqlite { path: PathBuf, source: rusqlite::Error },
    #[error("{path} is not a shop database written by this version (schema {found}, expected {expected})")]
    WrongSchema { path: PathBuf, found: String, expected: &'static str },
    #[error("{path} does not exist; create it first (`checkout init`)")]
    Missing { path: PathBuf },
    #[error("{path} is not a shop: it holds {found} tables or indexes of another application; left unchanged")]
    NotAShop { path: PathBuf, found: usize },
    #[error("{path} is empty, not a shop; create one with `checkout init`")]
    Empty { path: PathBuf },
}

/// The shop in one SQLite file.
#[derive(Clone)]
pub struct SqliteShop {
    writer: Writer,
    /// Lookups, off the writer thread.
    readers: Arc<Readers>,
    /// The write-ahead log's fsyncs before acknowledging; `None` without fsync.
    disk: Option<Arc<Disk>>,
}

impl SqliteShop {
    /// Opens the shop at `path`, creating the file (and its tables) if `create` is set.
    pub fn open(path: &Path, create: bool, durability: Durability) -> Result<SqliteShop, OpenError> {
        if !create && !path.exists() {
            return Err(OpenError::Missing { path: path.to_path_buf() });
        }
        let sqlite = |source| OpenError::Sqlite { path: path.to_path_buf(), source };
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let conn = Connection::open_with_flags(path, flags).map_err(sqlite)?;
        // Another process may hold the file (a second `checkout serve`): wait for it a while
        // rather than fail at once.
        conn.busy_timeout(Duration::from_secs(5)).map_err(sqlite)?;
        conn.set_prepared_statement_cache_capacity(statements::CACHE_CAPACITY);
        // Before anything writes to it (the journal mode, the tables): a file that is not a shop
        // is refused as it is, and only `init` makes a shop of an empty one.
        match schema::contents(&conn).map_err(sqlite)? {
            schema::Contents::Foreign { found } => return Err(OpenError::NotAShop { path: path.to_path_buf(), found }),
            schema::Contents::Empty if !create => return Err(OpenError::Empty { path: path.to_path_buf() }),
            schema::Contents::Empty | schema::Contents::Shop => {}
        }
        // NORMAL in WAL mode: a commit is written to the log without an fsync; a checkpoint
        // syncs the log before and the database after, so the fsync of `durable` covers every
        // commit before it, checkpointed or not.
        let synchronous = match durability {
            Durability::Fsync => "NORMAL",
            Durability::NoFsync => "OFF",
        };
        // Checkpoints are taken off the writer thread (see [`checkpoint`]).
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous}; PRAGMA wal_autocheckpoint = 0;"
        ))
        .map_err(sqlite)?;
        if let Some(found) = schema::prepare(&conn).map_err(sqlite)? {
            return Err(OpenError::WrongSchema { path: path.to_path_buf(), found, expected: schema::VERSION });
        }
        let disk = match durability {
            Durability::Fsync => {
                let mut wal = path.as_os_str().to_owned();
                wal.push("-wal");
                Some(Arc::new(Disk::new(PathBuf::from(wal))))
            }
            Durability::NoFsync => None,
        };
        let checkpointer = Connection::open_with_flags(path, flags - OpenFlags::SQLITE_OPEN_CREATE).map_err(sqlite)?;
        checkpointer.execute_batch(&format!("PRAGMA synchronous = {synchronous};")).map_err(sqlite)?;
        Ok(SqliteShop {
            writer: Writer::start(conn, Checkpoints::start(checkpointer)),
            readers: Arc::new(Readers::new(path.to_path_buf())),
            disk,
        })
    }

    /// Returns once every commit answered before the call is on disk: an fsync of the
    /// write-ahead log that began after the call, shared with whoever else waits (see [`disk`]).
    /// A commit is answered only once SQLite has written it to the log, so the fsync covers it.
    pub(crate) async fn sync_to_disk(&self) -> Result<(), checkout_ports::StorageError> {
        let Some(disk) = &self.disk else { return Ok(()) };
        disk.sync().await
    }

    /// Caps the database file at `pages` pages (SQLite's `max_page_count`; never below its size
    /// now), or lifts the cap. A write that would grow the file past it fails as a full disk
    /// does: with SQLite's "database or disk is full", nothing of it kept.
    pub async fn limit_pages(&self, pages: Option<u64>) -> Result<u64, checkout_ports::StorageError> {
        let pages = i64::try_from(pages.unwrap_or(u64::from(u32::MAX - 1))).unwrap_or(i64::MAX);
        self.writer
            .run(move |conn| {
                conn.pragma_update(None, "max_page_count", pages)?;
                let now: i64 = conn.query_row("PRAGMA max_page_count", [], |row| row.get(0))?;
                slices::uint(now)
            })
            .await
    }

    /// How many pages the database file has now.
    pub async fn pages(&self) -> Result<u64, checkout_ports::StorageError> {
        self.writer
            .run(|conn| {
                let pages: i64 = conn.query_row("PRAGMA page_count", [], |row| row.get(0))?;
                slices::uint(pages)
            })
            .await
    }
}
