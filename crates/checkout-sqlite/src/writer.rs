//! The one thread that owns the database connection, and its group commit. Every call becomes a
//! job on a queue; the writer takes all the jobs waiting, runs each in a savepoint of one
//! transaction, commits once, and only then answers them. The disk is waited for apart, before a
//! client is answered (`SqliteShop::durable`), and the log is checkpointed on another thread
//! ([`crate::checkpoint`]), so the writer never stalls on an fsync.

use std::sync::mpsc;
use std::thread;

use checkout_ports::StorageError;
use rusqlite::Connection;

use crate::checkpoint::Checkpoints;
use crate::statements::Cached;
use tokio::sync::oneshot;

/// The most jobs one transaction takes, so that one commit never waits on an endless stream.
const MAX_BATCH: usize = 512;

/// A job waiting for the writer: it runs against the connection, then is told whether its
/// transaction committed.
trait Job: Send {
    /// Runs the job; `false` if it failed and its savepoint must be rolled back.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Answers the caller once the batch's commit is known.
    fn answer(self: Box<Self>, committed: Result<(), StorageError>);
}

struct Typed<R, F> {
    work: Option<F>,
    result: Option<Result<R, StorageError>>,
    reply: oneshot::Sender<Result<R, StorageError>>,
}

impl<R, F> Job for Typed<R, F>
where
    R: Send,
    F: FnOnce(&Connection) -> rusqlite::Result<R> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let work = self.work.take().expect("a job runs once");
        let result = work(conn).map_err(|e| StorageError::Failed(e.to_string()));
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn answer(self: Box<Self>, committed: Result<(), StorageError>) {
        let result = match committed {
            Ok(()) => self.result.unwrap_or_else(|| Err(StorageError::Stopped("the job never ran"))),
            Err(e) => Err(e),
        };
        // The caller may have gone away (a cancelled request); then nobody needs the answer.
        let _ = self.reply.send(result);
    }
}

/// The handle callers send jobs through; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Box<dyn Job>>,
}

impl Writer {
    /// Starts the writer thread, which owns `conn` until every handle is dropped.
    pub fn start(conn: Connection, checkpoints: Checkpoints) -> Writer {
        let (jobs, queue) = mpsc::channel::<Box<dyn Job>>();
        thread::Builder::new()
            .name("shop-writer".into())
            .spawn(move || write_loop(conn, queue, checkpoints))
            .expect("the writer thread starts");
        Writer { jobs }
    }

    /// Runs `work` in the next batch and answers once that batch is committed.
    pub async fn run<R, F>(&self, work: F) -> Result<R, StorageError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<R> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(Typed { work: Some(work), result: None, reply });
        self.jobs.send(job).map_err(|_| StorageError::Stopped("the database writer has stopped"))?;
        answer.await.map_err(|_| StorageError::Stopped("the database writer stopped before answering"))?
    }
}

fn write_loop(conn: Connection, queue: mpsc::Receiver<Box<dyn Job>>, checkpoints: Checkpoints) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        // How well the group commit groups: one fsync for this many writes (`/metrics`).
        metrics::histogram!("checkout_sqlite_commit_batch_size").record(batch.len() as f64);
        let committed = run_batch(&conn, &mut batch);
        for job in batch {
            job.answer(committed.clone());
        }
        checkpoints.committed(&conn);
    }
}

/// Runs every job of the batch in its own savepoint of one transaction, then commits. The
/// transaction statements are cached like the jobs' own (rusqlite's `Savepoint` compiles its SQL
/// on every use).
fn run_batch(conn: &Connection, batch: &mut [Box<dyn Job>]) -> Result<(), StorageError> {
    let storage = |e: rusqlite::Error| StorageError::Failed(e.to_string());
    // Immediate: the write lock is taken (waiting for another process's, up to the busy timeout)
    // before anything is read, so a batch never has to upgrade a read to a write and fail.
    conn.execute_cached("BEGIN IMMEDIATE", []).map_err(storage)?;
    let done = run_jobs(conn, batch).and_then(|()| conn.execute_cached("COMMIT", []).map(|_| ()));
    if done.is_err() && !conn.is_autocommit() {
        // Nothing of a batch that failed as a whole is kept; a rollback that fails too leaves
        // the transaction to the next BEGIN, which then fails and says so.
        let _ = conn.execute_cached("ROLLBACK", []);
    }
    done.map_err(storage)
}

fn run_jobs(conn: &Connection, batch: &mut [Box<dyn Job>]) -> rusqlite::Result<()> {
    for job in batch.iter_mut() {
        conn.execute_cached("SAVEPOINT job", [])?;
        if job.run(conn) {
            conn.execute_cached("RELEASE job", [])?;
            continue;
        }
        // A failed job's savepoint is rolled back and the others go on, unless the failure (a
        // full disk, an I/O error) made SQLite roll the whole transaction back: then the jobs
        // before it are undone too, and the rest must not run outside a transaction.
        if conn.is_autocommit() {
            return Err(rusqlite::Error::ToSqlConversionFailure(
                "the transaction was rolled back by a failed write; nothing of it was kept".into(),
            ));
        }
        conn.execute_cached("ROLLBACK TO job", [])?;
        conn.execute_cached("RELEASE job", [])?;
    }
    Ok(())
}
