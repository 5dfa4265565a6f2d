//! Writes `deploy/checkout.asl.json`, `deploy/template.yaml` and `docs/cost.md` from the domain,
//! the engine's policy and the resource definition. `--check` writes nothing and fails if any
//! differs.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let check = std::env::args().any(|a| a == "--check");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut stale = Vec::new();
    for (name, text) in checkout_asl::files() {
        let path = root.join(name);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current == text {
            continue;
        }
        if check {
            stale.push(name);
        } else if let Err(e) = write(&path, &text) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        } else {
            println!("wrote {}", path.display());
        }
    }
    if stale.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "error: deploy/{} differ from what the generator writes; run `cargo run -p checkout-asl --bin generate`",
            stale.join(", deploy/")
        );
        ExitCode::FAILURE
    }
}

fn write(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
    std::fs::write(path, text)
}
