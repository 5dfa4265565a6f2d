//! What the runner's process tests share: the `checkout` binary and scratch files.

use std::path::{Path, PathBuf};

#[allow(dead_code)] // Not every test binary runs the program.
pub const BIN: &str = env!("CARGO_BIN_EXE_checkout");

/// A fresh path in cargo's scratch directory for this test binary, removed first if a previous
/// run left it (with its SQLite side files).
pub fn scratch(folder: &str, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(folder);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}-{name}", std::process::id()));
    for stale in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{stale}", path.display()));
    }
    path
}
