//! An operator adds to a live shop with `checkout restock` and `checkout credit`: sold copies
//! never come back, a new book needs a price, every operation is journaled, and `audit` holds
//! every account to the journal, so supply changed behind the shop's back is named. (Before, the
//! only way to stock was `init`, which set each account to the catalog's and resold sold copies
//! while the audit passed.)

use std::path::PathBuf;
use std::process::Output;

use crate::common::serve::init;
use crate::common::Shop;

fn scratch(name: &str) -> PathBuf {
    crate::common::scratch("supply", name)
}

fn said(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn ok(shop: &Shop, subcommand: &str, args: &[&str]) -> String {
    let output = shop.command(subcommand).args(args).output().unwrap();
    assert!(output.status.success(), "checkout {subcommand} {args:?}: {}", said(&output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn refused(shop: &Shop, subcommand: &str, args: &[&str]) -> String {
    let output = shop.command(subcommand).args(args).output().unwrap();
    assert!(!output.status.success(), "checkout {subcommand} {args:?} should fail: {}", said(&output));
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    stderr
}

/// Runs the orders (JSON lines) to their end; the run's summary.
fn run(shop: &Shop, name: &str, orders: &[&str]) -> String {
    let file = scratch(name);
    std::fs::write(&file, orders.join("\n")).unwrap();
    ok(shop, "run", &[file.to_str().unwrap(), "--clock-speed", "100"])
}

fn order(id: &str, book: &str, user: &str) -> String {
    format!(r#"{{"orderId":"{id}","bookId":"{book}","userId":"{user}","quantity":1}}"#)
}

fn operations_add_and_the_audit_holds_the_shop_to_them(shop: &Shop) {
    init(shop);
    let sold = run(shop, "last.jsonl", &[&order("s-1", "b-last-copy", "u-grace")]);
    assert!(sold.contains("| dispatched | 1 |"), "{sold}");

    let restocked = ok(shop, "restock", &["--book", "b-last-copy", "--copies", "2"]);
    assert!(restocked.contains("2 on the shelf, 1 taken"), "the sold copy stays sold: {restocked}");
    let unpriced = refused(shop, "restock", &["--book", "b-new", "--copies", "3"]);
    assert!(unpriced.contains("b-new is new to this shop"), "{unpriced}");
    let nothing = refused(shop, "restock", &["--book", "b-dune"]);
    assert!(nothing.contains("adds nothing"), "{nothing}");
    ok(shop, "restock", &["--book", "b-new", "--copies", "3", "--price", "999"]);
    let credited = ok(shop, "credit", &["--customer", "u-new", "--funds", "2500", "--points", "10"]);
    assert!(credited.contains("2500 funds and 10 points to spend"), "{credited}");
    let bad = shop.command("credit").args(["--customer", "not an id!", "--funds", "1"]).output().unwrap();
    assert!(!bad.status.success() && said(&bad).contains("for '--customer"), "{}", said(&bad));

    let orders = [
        order("s-2", "b-last-copy", "u-ada"),
        order("s-3", "b-last-copy", "u-barbara"),
        order("s-4", "b-last-copy", "u-ada"),
        order("s-5", "b-new", "u-new"),
        order("s-6", "b-new", "u-new"),
        order("s-7", "b-new", "u-new"),
    ];
    let orders: Vec<&str> = orders.iter().map(String::as_str).collect();
    let summary = run(shop, "more.jsonl", &orders);
    // Two copies restocked, three asked; u-new can pay for two copies at 9.99, not three.
    for outcome in ["| dispatched | 4 |", "| rejected | 1 |", "| compensated | 1 |"] {
        assert!(summary.contains(outcome), "{outcome} in {summary}");
    }

    let audit = ok(shop, "audit", &["--all-ended"]);
    assert!(audit.contains("audit passed"), "{audit}");
}

#[test]
fn operations_add_and_the_audit_holds_the_shop_to_them_in_sqlite() {
    let db = scratch("shop.db");
    let shop = Shop::sqlite(&db);
    operations_add_and_the_audit_holds_the_shop_to_them(&shop);

    // Supply changed behind the shop's back (as `init` over a live shop once did) is named.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("UPDATE accounts SET supply = supply + 1 WHERE ledger = 'stock' AND account = 'b-last-copy'", [])
        .unwrap();
    conn.execute("UPDATE accounts SET supply = supply + 1000 WHERE ledger = 'funds' AND account = 'u-new'", [])
        .unwrap();
    drop(conn);
    let output = shop.command("audit").output().unwrap();
    let findings = said(&output);
    assert!(!output.status.success(), "{findings}");
    assert!(findings.contains("FAIL copies of b-last-copy are not as supplied"), "{findings}");
    assert!(findings.contains("FAIL funds of u-new are not as supplied"), "{findings}");
}

#[cfg(feature = "aws")]
#[test]
fn operations_add_and_the_audit_holds_the_shop_to_them_on_aws() {
    operations_add_and_the_audit_holds_the_shop_to_them(&Shop::aws());
}
