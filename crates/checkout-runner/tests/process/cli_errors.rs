//! What a careless or tired operator gets from each command given the wrong thing: one line on
//! stderr naming what is wrong, a non-zero exit, and the shop unchanged. Never a panic, never a
//! backtrace.

use std::process::Command;

use crate::common::BIN;

/// Runs `checkout args`, expecting it to fail with one line that contains `says`.
fn refused(args: &[&str], says: &str) {
    let output = Command::new(BIN).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(output.status.code(), Some(1), "checkout {args:?}: {stderr}");
    assert_eq!(lines.len(), 1, "checkout {args:?} should say one line: {stderr}");
    assert!(lines[0].starts_with("error: ") && lines[0].contains(says), "checkout {args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn each_command_refuses_bad_input_in_one_line() {
    let missing = crate::common::scratch("cli-errors", "missing.db");
    let missing = missing.to_str().unwrap();
    refused(&["status", "--order", "o-1"], "--db is needed with the sqlite backend");
    refused(&["status", "--db", missing, "--order", "o-1"], "does not exist; create it first");
    refused(&["audit", "--backend", "aws", "--db", missing], "the aws backend does not use one");
    refused(&["init", "--db", missing, "--catalog", "/nonexistent/catalog.json"], "cannot read the catalog");

    let db = crate::common::scratch("cli-errors", "shop.db");
    let db = db.to_str().unwrap();
    let made = Command::new(BIN).args(["demo", "--db", db]).output().unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    refused(&["status", "--db", db, "--order", "o-nobody"], "no order o-nobody in this shop");
    refused(&["history", "--db", db, "--checkout", "ck-nobody"], "no checkout ck-nobody in this shop");
    refused(&["run", "--db", db, "/nonexistent/orders.jsonl"], "cannot read the orders /nonexistent/orders.jsonl");
    refused(&["restock", "--db", db, "--book", "b-unpriced", "--copies", "1"], "price");
    refused(&["init", "--db", db, "--catalog", "/nonexistent/catalog.json"], "cannot read the catalog");
    let audit = Command::new(BIN).args(["audit", "--db", db, "--all-ended"]).output().unwrap();
    assert!(
        audit.status.success(),
        "refused commands leave the shop as it was: {}",
        String::from_utf8_lossy(&audit.stdout)
    );
}
