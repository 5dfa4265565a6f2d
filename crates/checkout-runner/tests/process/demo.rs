//! `checkout demo`, the README's first command: a new shop from the built-in samples, the sample
//! orders run to their end and audited, in one command with no file but the shop it makes; run
//! again on the same file, it refuses and leaves the shop as it was.

use std::process::Command;

use crate::common::BIN;

#[test]
fn the_demo_runs_the_samples_and_audits_them_in_a_new_shop() {
    let db = crate::common::scratch("demo", "shop.db");
    let output = Command::new(BIN).args(["demo", "--db", db.to_str().unwrap()]).output().unwrap();
    let said = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{said}{}", String::from_utf8_lossy(&output.stderr));
    assert!(said.contains("24 orders admitted"), "{said}");
    for outcome in ["| dispatched |", "| rejected |", "| compensated |", "audit passed"] {
        assert!(said.contains(outcome), "{outcome} in {said}");
    }
    assert!(said.contains(&format!("checkout status --db {}", db.display())), "{said}");

    let status = Command::new(BIN).args(["status", "--db", db.to_str().unwrap(), "--order", "o-too-dear"]).output();
    assert!(status.unwrap().status.success(), "the shop it names can be looked into");

    let again = Command::new(BIN).args(["demo", "--db", db.to_str().unwrap()]).output().unwrap();
    let refused = String::from_utf8_lossy(&again.stderr);
    assert!(!again.status.success() && refused.lines().count() == 1 && refused.contains("exists"), "{refused}");
    let audit = Command::new(BIN).args(["audit", "--db", db.to_str().unwrap(), "--all-ended"]).output().unwrap();
    assert!(audit.status.success(), "the shop is as the first demo left it");
}
