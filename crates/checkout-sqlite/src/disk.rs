//! Putting the write-ahead log on disk for everyone waiting at once. One thread fsyncs the log:
//! it takes every caller waiting, fsyncs once, and answers them all; callers that arrive while
//! an fsync runs share the next one. A caller is therefore answered by an fsync that began after
//! it called, which covers every commit answered before then.

use checkout_ports::StorageError;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;

use tokio::sync::oneshot;

type Answer = oneshot::Sender<Result<(), StorageError>>;

/// The fsyncs of one log; cheap to share. The thread stops when the last handle is dropped.
#[derive(Debug)]
pub struct Disk {
    waiting: mpsc::Sender<Answer>,
    begun: Arc<AtomicU64>,
}

impl Disk {
    pub fn new(log: PathBuf) -> Disk {
        let (waiting, queue) = mpsc::channel::<Answer>();
        let begun = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&begun);
        thread::Builder::new()
            .name("shop-fsync".into())
            .spawn(move || {
                while let Ok(first) = queue.recv() {
                    let mut callers = vec![first];
                    callers.extend(queue.try_iter());
                    counted.fetch_add(1, Ordering::SeqCst);
                    let synced = fsync(&log);
                    for caller in callers {
                        // A caller that went away (a cancelled request) needs no answer.
                        let _ = caller.send(synced.clone());
                    }
                }
            })
            .expect("the disk thread starts");
        Disk { waiting, begun }
    }

    /// How many fsyncs have begun.
    pub fn fsyncs(&self) -> u64 {
        self.begun.load(Ordering::SeqCst)
    }

    /// Returns once an fsync that began after this call has ended.
    pub async fn sync(&self) -> Result<(), StorageError> {
        let (answer, answered) = oneshot::channel();
        self.waiting.send(answer).map_err(|_| StorageError::Stopped("the disk thread has stopped"))?;
        answered.await.map_err(|_| StorageError::Stopped("the disk thread stopped before the fsync ended"))?
    }
}

fn fsync(log: &PathBuf) -> Result<(), StorageError> {
    let failed = |what: &str, e: std::io::Error| StorageError::Failed(format!("cannot {what} {}: {e}", log.display()));
    match std::fs::File::open(log) {
        Ok(file) => file.sync_data().map_err(|e| failed("put on disk", e)),
        // No log yet: nothing was ever written, so nothing waits for the disk.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(failed("open", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn callers_at_once_share_fsyncs_and_each_gets_one_that_began_after_it() {
        let dir = std::env::temp_dir().join(format!("checkout-disk-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let disk = Arc::new(Disk::new(dir.join("log")));
        std::fs::write(dir.join("log"), b"frames").unwrap();
        let callers: Vec<_> = (0..64)
            .map(|_| {
                let disk = Arc::clone(&disk);
                tokio::spawn(async move {
                    let before = disk.fsyncs();
                    disk.sync().await.unwrap();
                    let after = disk.fsyncs();
                    assert!(after > before, "answered by an fsync that began before the call");
                })
            })
            .collect();
        for caller in callers {
            caller.await.unwrap();
        }
        let fsyncs = disk.fsyncs();
        assert!((1..=64).contains(&fsyncs), "{fsyncs} fsyncs for 64 callers");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_log_that_cannot_be_opened_is_an_error_and_a_missing_one_is_not() {
        assert_eq!(Disk::new(PathBuf::from("/nonexistent-dir/log")).sync().await, Ok(()));
        let dir = std::env::temp_dir().join(format!("checkout-disk-dir-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // A path under a file cannot be opened at all.
        std::fs::write(dir.join("file"), b"x").unwrap();
        assert!(Disk::new(dir.join("file").join("log")).sync().await.is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
