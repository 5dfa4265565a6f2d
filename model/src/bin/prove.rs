//! Runs the model checker over both models and writes `docs/proofs.md`.
//!
//! Usage: `cargo run -p checkout-model --release --bin prove [-- OUTPUT]` (default
//! `docs/proofs.md` at the workspace root).

use std::path::PathBuf;
use std::process::ExitCode;

use checkout_model::proofs::Proofs;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let output = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/proofs.md"));
    let proofs = Proofs::run();
    print!("{}", proofs.summary());
    if let Err(e) = std::fs::write(&output, proofs.render()) {
        eprintln!("error: cannot write {}: {e}", output.display());
        return ExitCode::FAILURE;
    }
    println!("wrote {}", output.display());
    if proofs.ours_pass() {
        ExitCode::SUCCESS
    } else {
        eprintln!("error: our saga violates a property; see {}", output.display());
        ExitCode::FAILURE
    }
}
