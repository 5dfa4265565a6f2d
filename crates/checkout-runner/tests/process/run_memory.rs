//! `checkout run` streams its orders: its memory is bounded by what is in flight, not by the
//! file. Two runs, one over twenty times the orders of the other, peak within a few megabytes of
//! each other: 1.4 MB apart (before, the run kept every checkout it opened and loaded every
//! checkout of the shop for its summary: 17 MB apart, and 3.6 KB a checkout for dispatched ones).

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use crate::common::serve::init;
use crate::common::Shop;

/// The peak resident memory of `checkout run` over `count` orders, in KiB, read from the
/// kernel's high-water mark while it runs.
fn peak_kib(count: usize) -> u64 {
    let db = crate::common::scratch("run-memory", &format!("{count}.db"));
    let shop = Shop::sqlite(&db);
    init(&shop);
    let orders = crate::common::scratch("run-memory", &format!("{count}.jsonl"));
    let mut file = std::io::BufWriter::new(std::fs::File::create(&orders).unwrap());
    for n in 0..count {
        // A book the shop does not sell: each checkout is refused at its first step, so the
        // run is quick and its memory is the runner's own.
        writeln!(file, r#"{{"orderId":"m-{n}","bookId":"b-unknown","userId":"u-ada","quantity":1}}"#).unwrap();
    }
    file.into_inner().unwrap().sync_all().unwrap();
    let mut child = shop
        .command("run")
        .args([orders.to_str().unwrap(), "--no-fsync", "--clock-speed", "1000"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    while child.try_wait().unwrap().is_none() {
        if let Ok(text) = std::fs::read_to_string(&status) {
            let hwm = text.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.split_whitespace().next());
            peak = peak.max(hwm.and_then(|v| v.parse().ok()).unwrap_or(0));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let output = child.wait_with_output().unwrap();
    let summary = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{summary}");
    assert!(summary.contains(&format!("| rejected | {count} |")), "{summary}");
    peak
}

#[test]
fn run_memory_is_bounded_by_what_is_in_flight() {
    let small = peak_kib(2_000);
    let large = peak_kib(40_000);
    println!("peak resident memory: {small} KiB for 2,000 orders, {large} KiB for 40,000");
    assert!(small > 0 && large > 0, "the high-water mark was read");
    assert!(large < small + 8 * 1024, "38,000 more orders grew the peak by {} KiB", large.saturating_sub(small));
}
