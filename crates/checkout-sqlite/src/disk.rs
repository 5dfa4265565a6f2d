//! Putting the write-ahead log on disk for everyone waiting at once: one fsync at a time, and a
//! caller is answered by the first fsync that began after it called, which covers every commit
//! answered before then. Callers that arrive while an fsync runs share the next one, instead of
//! each queueing an fsync of its own behind it.

use std::path::PathBuf;
use std::sync::{Condvar, Mutex, MutexGuard};

/// The fsyncs of one log.
#[derive(Debug)]
pub struct Disk {
    log: PathBuf,
    state: Mutex<Rounds>,
    finished: Condvar,
}

/// Fsyncs are numbered from 1 in the order they begin.
#[derive(Debug, Default)]
struct Rounds {
    begun: u64,
    ended: u64,
    running: bool,
    /// The latest fsync that failed, and why.
    failed: Option<(u64, String)>,
}

impl Disk {
    pub fn new(log: PathBuf) -> Disk {
        Disk { log, state: Mutex::new(Rounds::default()), finished: Condvar::new() }
    }

    fn rounds(&self) -> MutexGuard<'_, Rounds> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Returns once an fsync that began after this call has ended. Blocks: call it off the
    /// async threads.
    pub fn sync(&self) -> Result<(), String> {
        let mut rounds = self.rounds();
        // One running now may have begun before the commits this caller waits for.
        let wanted = rounds.begun + 1;
        loop {
            if rounds.ended >= wanted {
                return match &rounds.failed {
                    Some((round, why)) if *round >= wanted => Err(why.clone()),
                    _ => Ok(()),
                };
            }
            if rounds.running {
                rounds = self.finished.wait(rounds).unwrap_or_else(|poisoned| poisoned.into_inner());
                continue;
            }
            rounds.running = true;
            rounds.begun += 1;
            let round = rounds.begun;
            drop(rounds);
            let synced = self.fsync();
            rounds = self.rounds();
            rounds.running = false;
            rounds.ended = round;
            if let Err(why) = synced {
                rounds.failed = Some((round, why));
            }
            self.finished.notify_all();
        }
    }

    fn fsync(&self) -> Result<(), String> {
        match std::fs::File::open(&self.log) {
            Ok(log) => log.sync_data().map_err(|e| format!("cannot put {} on disk: {e}", self.log.display())),
            // No log yet: nothing was ever written, so nothing waits for the disk.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(format!("cannot open {}: {e}", self.log.display())),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn callers_at_once_share_fsyncs_and_each_gets_one_that_began_after_it() {
        let dir = std::env::temp_dir().join(format!("checkout-disk-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let disk = Arc::new(Disk::new(dir.join("log")));
        std::fs::write(dir.join("log"), b"frames").unwrap();
        let callers: Vec<_> = (0..16)
            .map(|_| {
                let disk = Arc::clone(&disk);
                std::thread::spawn(move || {
                    let before = disk.rounds().begun;
                    disk.sync().unwrap();
                    let after = disk.rounds().ended;
                    assert!(after > before, "answered by an fsync that began before the call");
                })
            })
            .collect();
        for caller in callers {
            caller.join().unwrap();
        }
        let fsyncs = disk.rounds().ended;
        assert!((1..=16).contains(&fsyncs), "{fsyncs} fsyncs for 16 callers");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_log_that_cannot_be_opened_is_an_error_and_a_missing_one_is_not() {
        assert_eq!(Disk::new(PathBuf::from("/nonexistent-dir/log")).sync(), Ok(()));
        let dir = std::env::temp_dir().join(format!("checkout-disk-dir-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // A path under a file cannot be opened at all.
        std::fs::write(dir.join("file"), b"x").unwrap();
        assert!(Disk::new(dir.join("file").join("log")).sync().is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
