//! The crash test: `checkout run` on many orders over shared stock, with every kind of fault
//! injected, killed with SIGKILL at six random moments and restarted each time, and at one point run
//! twice at once on the same shop. At the end every order has ended and `checkout audit` finds
//! nothing: no copy, point or cent lost or made up, no checkout advanced twice. It runs on both
//! backends: 1,500 orders in one SQLite file, and 250 on DynamoDB, SQS and SNS in moto server.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use crate::common::Shop;

fn scratch(name: &str) -> PathBuf {
    crate::common::scratch("crash", name)
}

/// A shop of 8 books (for 1,500 orders, 120 copies each: fewer than the orders ask for) and 12
/// customers, some too poor for what they order.
fn write_shop(catalog: &Path, orders: &Path, count: usize) {
    let copies = count * 2 / 25;
    let books: Vec<String> = (0..8)
        .map(|b| format!(r#"{{"id":"b-{b}","title":"Book {b}","stock":{copies},"price":{}}}"#, 500 + 250 * b))
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

/// `checkout run` on `shop` with every kind of fault.
fn run(shop: &Shop, clock_speed: &str, orders: &str, seed: &str, in_flight: &str) -> Command {
    let mut command = shop.command("run");
    command.args(run_args(orders, seed, clock_speed, in_flight));
    command
}

fn run_args<'a>(orders: &'a str, seed: &'a str, clock_speed: &'a str, in_flight: &'a str) -> Vec<&'a str> {
    vec![
        orders,
        "--seed",
        seed,
        "--clock-speed",
        clock_speed,
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
        // A restarted run takes over the killed one's checkouts once their leases lapse.
        "--lease-ms",
        "1000",
    ]
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[test]
fn killed_and_restarted_runs_lose_nothing_in_sqlite() {
    killed_and_restarted_runs_lose_nothing(&Shop::sqlite(&scratch("shop.db")), "2000", "sqlite", 1_500);
}

/// On moto each step takes longer, so the saga's clock runs slower: the courier deadline must
/// still leave the worker time to answer.
#[cfg(feature = "aws")]
#[test]
fn killed_and_restarted_runs_lose_nothing_on_aws() {
    killed_and_restarted_runs_lose_nothing(&Shop::aws(), "100", "aws", 250);
}

fn killed_and_restarted_runs_lose_nothing(shop: &Shop, clock_speed: &str, name: &str, count: usize) {
    let (catalog, orders) = (scratch(&format!("{name}-catalog.json")), scratch(&format!("{name}-orders.jsonl")));
    write_shop(&catalog, &orders, count);
    let orders = orders.to_str().unwrap();
    let init = shop.command("init").args(["--catalog", catalog.to_str().unwrap()]).output().unwrap();
    assert!(init.status.success(), "{}", text(&init));

    // Few checkouts in flight, so that each run is killed with most of the work still ahead.
    let mut rng = fastrand::Rng::with_seed(11);
    let mut kills = 0;
    for round in 0..20 {
        if kills == 6 {
            break;
        }
        let seed = round.to_string();
        let mut child = run(shop, clock_speed, orders, &seed, "8").spawn().unwrap();
        std::thread::sleep(Duration::from_millis(rng.u64(60..350)));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL: no chance to tidy up.
            kills += 1;
        }
        let _ = child.wait_with_output().unwrap();
        let audit = shop.command("audit").output().unwrap();
        assert!(audit.status.success(), "after round {round}, mid-run:\n{}", text(&audit));
    }
    assert_eq!(kills, 6, "every run ended before it could be killed");

    // Two runners at once on the same shop: each checkout is advanced by one of them, and each
    // run waits for those the other holds, so both end with every checkout ended (before
    // leases, one stole the other's checkouts and exited 1 for those it lost).
    let first = run(shop, clock_speed, orders, "100", "48").spawn().unwrap();
    let second = run(shop, clock_speed, orders, "200", "48").spawn().unwrap();
    let (first, second) = (first.wait_with_output().unwrap(), second.wait_with_output().unwrap());
    let both = format!("{}\n{}", text(&first), text(&second));
    assert!(first.status.success() && second.status.success(), "runs side by side:\n{both}");

    // Whatever either left (a checkout the other took over stops there), one more run finishes.
    let last = run(shop, clock_speed, orders, "300", "48").output().unwrap();
    assert!(last.status.success(), "the final run:\n{}\n(before it:\n{both})", text(&last));
    let audit = shop.command("audit").arg("--all-ended").output().unwrap();
    let report = text(&audit);
    assert!(audit.status.success(), "{report}");
    println!("{}\n{report}", text(&last));
    for outcome in ["dispatched", "compensated", "rejected"] {
        assert!(report.contains(outcome), "some checkout ended {outcome}: {report}");
    }
}
