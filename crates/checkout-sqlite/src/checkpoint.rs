//! Copying the write-ahead log back into the database file (a checkpoint) off the writer thread.
//! SQLite checkpoints on the committing connection by default: with fsync, each one waits for
//! the disk twice (the log, then the database file), and the writer, with every call queued
//! behind it, waited with it for about half the time of a busy run.
//!
//! Here a thread of its own, on a connection of its own, checkpoints after commits (SQLite's
//! passive mode, which never blocks the writer). The log can only start over from its beginning
//! once everything in it is copied, at a moment no commit is under way, which a checkpoint
//! beside a busy writer never sees. So once the log is long, the writer itself copies the little
//! the last checkpoint left, between two batches; the log then starts over at its next commit.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use rusqlite::Connection;

use crate::statements::Cached;

/// How long the log grows before the writer finishes a checkpoint so that it starts over
/// (SQLite's own default length between checkpoints, in pages).
const LOG_PAGES_BEFORE_RESTART: i64 = 1000;

/// How long the checkpointer lets commits gather before it copies them.
const GATHER: Duration = Duration::from_millis(5);

const CHECKPOINT: &str = "PRAGMA wal_checkpoint(PASSIVE)";

/// The writer's side of the checkpoints.
pub struct Checkpoints {
    commits: mpsc::SyncSender<()>,
    /// Set by the checkpointer when the log is long and nearly all copied: the writer's turn.
    restart_due: Arc<AtomicBool>,
}

impl Checkpoints {
    /// Starts the checkpointer on `conn`, which must not be the writer's connection. It stops
    /// when the writer drops this.
    pub fn start(conn: Connection) -> Checkpoints {
        let (commits, committed) = mpsc::sync_channel(1);
        let restart_due = Arc::new(AtomicBool::new(false));
        let due = Arc::clone(&restart_due);
        thread::Builder::new()
            .name("shop-checkpoint".into())
            .spawn(move || checkpoint_loop(&conn, &committed, &due))
            .expect("the checkpoint thread starts");
        Checkpoints { commits, restart_due }
    }

    /// Called by the writer after each commit.
    pub fn committed(&self, conn: &Connection) {
        if self.restart_due.swap(false, Ordering::SeqCst) {
            // Only what was committed since the checkpointer's last pass is left to copy. A
            // failure (say the checkpointer has begun again) leaves the log to grow until the
            // next turn.
            let _ = conn.query_row_cached(CHECKPOINT, [], |_| Ok(()));
        }
        // A checkpointer already woken needs no second call.
        let _ = self.commits.try_send(());
    }
}

fn checkpoint_loop(conn: &Connection, committed: &mpsc::Receiver<()>, restart_due: &AtomicBool) {
    let mut failing = false;
    while committed.recv().is_ok() {
        thread::sleep(GATHER);
        while committed.try_recv().is_ok() {}
        if restart_due.load(Ordering::SeqCst) {
            continue;
        }
        match conn.query_row_cached(CHECKPOINT, [], |row| row.get::<_, i64>(1)) {
            Ok(log_pages) => {
                failing = false;
                if log_pages >= LOG_PAGES_BEFORE_RESTART {
                    restart_due.store(true, Ordering::SeqCst);
                }
            }
            Err(e) => {
                // The log keeps every commit until a checkpoint goes through: nothing is lost.
                if !failing {
                    tracing::warn!(error = %e, "the write-ahead log could not be checkpointed; trying again");
                }
                failing = true;
            }
        }
    }
}
