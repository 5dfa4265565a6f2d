//! `checkout`: run the book shop's checkout on one machine. See `checkout --help`.

use std::process::ExitCode;

fn main() -> ExitCode {
    checkout_runner::commands::main()
}
