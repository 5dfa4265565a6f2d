//! The crash test: `checkout run` on 1,500 orders over shared stock, with every kind of fault
//! injected, killed with SIGKILL at six random moments and restarted each time, and at one point run
//! twice at once on the same database. At the end every order has ended and `checkout audit`
//! finds nothing: no copy, point or cent lost or made up, no checkout advanced twice.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

mod common;

use common::BIN;

fn scratch(name: &str) -> PathBuf {
    common::scratch("crash", name)
}

/// A shop of 8 books (30 copies each, fewer than the orders ask for) and 12 customers, some too
/// poor for what they order.
fn write_shop(catalog: &Path, orders: &Path, count: usize) {
    let books: Vec<String> = (0..8)
        .map(|b| format!(r#"{{"id":"b-{b}","title":"Book {b}","stock":120,"price":{}}}"#, 500 + 250 * b))
        .collect();
    let customers: Vec<String> = (0..12)
        .map(|u| {
            format!(r#"{{"id":"u-{u}","funds":{},"points":{}}}"#, if u % 4 == 0 { 3_000 } else { 400_000 }, 100 * u)
        })
        .collect();
    std::fs::write(catalog, format!(r#"{{"books":[{}],"customers":[{}]}}"#, books.join(","), customers.join(",")))
        .unwrap();
    let mut rng = fastrand::Rng::with_seed(7);
    let lines: Vec<String> = (0..count)
        .map(|n| {
            format!(
                r#"{{"orderId":"o-{n}","bookId":"b-{}","userId":"u-{}","quantity":{},"redeem":{}}}"#,
                rng.usize(0..8),
                rng.usize(0..12),
                rng.u64(1..=2),
                rng.bool()
            )
        })
        .collect();
    std::fs::write(orders, lines.join("\n") + "\n").unwrap();
}

fn checkout(args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    command
}

fn run_args<'a>(db: &'a str, orders: &'a str, seed: &'a str, in_flight: &'a str) -> Vec<&'a str> {
    vec![
        "run",
        "--db",
        db,
        orders,
        "--seed",
        seed,
        "--clock-speed",
        "2000",
        "--in-flight",
        in_flight,
        "--transient",
        "0.05",
        "--lost-replies",
        "0.03",
        "--declines",
        "0.03",
        "--courier-failures",
        "0.05",
        "--courier-losses",
        "0.03",
        "--courier-delay-ms",
        "5",
    ]
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[test]
fn killed_and_restarted_runs_lose_nothing() {
    let (db, catalog, orders) = (scratch("shop.db"), scratch("catalog.json"), scratch("orders.jsonl"));
    write_shop(&catalog, &orders, 1_500);
    let (db, orders) = (db.to_str().unwrap(), orders.to_str().unwrap());
    let init = checkout(&["init", "--db", db, "--catalog", catalog.to_str().unwrap()]).output().unwrap();
    assert!(init.status.success(), "{}", text(&init));

    // Few checkouts in flight, so that each run is killed with most of the work still ahead.
    let mut rng = fastrand::Rng::with_seed(11);
    let mut kills = 0;
    for round in 0..20 {
        if kills == 6 {
            break;
        }
        let seed = round.to_string();
        let mut child = checkout(&run_args(db, orders, &seed, "8")).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(rng.u64(60..350)));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL: no chance to tidy up.
            kills += 1;
        }
        let _ = child.wait_with_output().unwrap();
        let audit = checkout(&["audit", "--db", db]).output().unwrap();
        assert!(audit.status.success(), "after round {round}, mid-run:\n{}", text(&audit));
    }
    assert_eq!(kills, 6, "every run ended before it could be killed");

    // Two runners at once on the same database: each checkout is advanced by one of them.
    let first = checkout(&run_args(db, orders, "100", "48")).spawn().unwrap();
    let second = checkout(&run_args(db, orders, "200", "48")).spawn().unwrap();
    let (first, second) = (first.wait_with_output().unwrap(), second.wait_with_output().unwrap());
    let both = format!("{}\n{}", text(&first), text(&second));

    // Whatever either left (a checkout the other took over stops there), one more run finishes.
    let last = checkout(&run_args(db, orders, "300", "48")).output().unwrap();
    assert!(last.status.success(), "the final run:\n{}\n(before it:\n{both})", text(&last));
    let audit = checkout(&["audit", "--db", db, "--all-ended"]).output().unwrap();
    let report = text(&audit);
    assert!(audit.status.success(), "{report}");
    println!("{}\n{report}", text(&last));
    for outcome in ["dispatched", "compensated", "rejected"] {
        assert!(report.contains(outcome), "some checkout ended {outcome}: {report}");
    }
}
