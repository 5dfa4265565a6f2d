//! Lookups beside orders: does reading checkouts slow down placing them, and does a lookup cost
//! more in a big shop? For each shop size (empty, and `N` checkouts, a million by default) it
//! starts `checkout serve` on a SQLite shop of that size and measures, side by side in one run:
//! POST throughput with 8 clients placing orders alone, then the same beside 8 clients looping
//! on lookups (`GET /orders/{order}`, half of known orders, half of unknown ones), with the
//! lookups' own latency. Prints a table of medians and ratios.
//!
//! Usage: `cargo build --release -p checkout-runner && cargo run --release -p checkout-bench
//! --bin lookups [N] [SECONDS]`. The shop of `N` checkouts is built once (by `checkout run`, with
//! its progress bar) and kept in `target/bench-lookups/`; each measurement works on a copy.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

const CLIENTS: usize = 8;

/// The `checkout` binary beside this one (`target/release/`), or `$CHECKOUT_BIN`.
fn checkout_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("CHECKOUT_BIN") {
        return bin.into();
    }
    let me = std::env::current_exe().expect("this program's path");
    let bin = me.with_file_name("checkout");
    assert!(bin.exists(), "{} is missing: cargo build --release -p checkout-runner first", bin.display());
    bin
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn checkout(args: &[&str]) {
    let status = Command::new(checkout_bin()).args(args).status().expect("checkout runs");
    assert!(status.success(), "checkout {args:?} failed");
}

/// A shop of `size` checkouts (every one ended), built once and kept; answers its path.
fn prepared_shop(size: usize) -> PathBuf {
    let dir = workspace().join("target/bench-lookups");
    std::fs::create_dir_all(&dir).expect("the bench directory");
    let kept = dir.join(format!("shop-{size}.db"));
    if kept.exists() {
        return kept;
    }
    let building = dir.join(format!("building-{size}.db"));
    for stale in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{stale}", building.display()));
    }
    let db = building.to_str().expect("a UTF-8 path");
    let catalog = workspace().join("examples/catalog.json");
    checkout(&["init", "--db", db, "--catalog", catalog.to_str().expect("a UTF-8 path")]);
    if size > 0 {
        eprintln!("building a shop of {size} checkouts (once; kept in {})", dir.display());
        let orders = dir.join(format!("orders-{size}.jsonl"));
        let mut file = std::io::BufWriter::new(std::fs::File::create(&orders).expect("the orders file"));
        let books = ["b-dune", "b-left-hand", "b-sicp", "b-piranesi", "b-last-copy"];
        let users = ["u-ada", "u-grace", "u-edsger", "u-barbara"];
        for i in 0..size {
            let order = json!({ "orderId": format!("bench-{i}"), "bookId": books[i % 5], "userId": users[i % 4], "quantity": 1 });
            writeln!(file, "{order}").expect("written");
        }
        drop(file);
        let orders = orders.to_str().expect("a UTF-8 path");
        checkout(&["run", "--db", db, orders, "--no-fsync", "--clock-speed", "100000", "--in-flight", "256"]);
    }
    // With its write-ahead log, if the last connection left one.
    for side in ["-wal", ""] {
        let from = format!("{}{side}", building.display());
        if Path::new(&from).exists() {
            std::fs::rename(&from, format!("{}{side}", kept.display())).expect("kept");
        }
    }
    kept
}

/// `checkout serve` on a copy of `shop`, killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(shop: &Path) -> Server {
        let copy = shop.with_file_name("serving.db");
        for stale in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{stale}", copy.display()));
        }
        for side in ["-wal", ""] {
            let from = format!("{}{side}", shop.display());
            if Path::new(&from).exists() {
                std::fs::copy(&from, format!("{}{side}", copy.display())).expect("a copy of the shop");
            }
        }
        let mut child = Command::new(checkout_bin())
            .args(["serve", "--db", copy.to_str().expect("a UTF-8 path"), "--listen", "127.0.0.1:0"])
            .args(["--clock-speed", "1000"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("checkout serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("its stdout")).read_line(&mut line).expect("its first line");
        let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect("it names its URL").to_string();
        Server { child, url }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Latencies in milliseconds, and how many requests failed.
#[derive(Default)]
struct Sample {
    ms: Vec<f64>,
    failed: u64,
}

impl Sample {
    fn add(&mut self, other: Sample) {
        self.ms.extend(other.ms);
        self.failed += other.failed;
    }
    fn percentile(&mut self, p: f64) -> f64 {
        if self.ms.is_empty() {
            return f64::NAN;
        }
        self.ms.sort_by(f64::total_cmp);
        self.ms[((p / 100.0) * (self.ms.len() - 1) as f64).round() as usize]
    }
}

async fn timed(request: reqwest::RequestBuilder, ok: impl Fn(u16) -> bool) -> Result<f64, ()> {
    let sent = Instant::now();
    match request.send().await {
        Ok(response) if ok(response.status().as_u16()) => {
            let _ = response.bytes().await;
            Ok(sent.elapsed().as_secs_f64() * 1000.0)
        }
        _ => Err(()),
    }
}

/// 8 clients placing orders until `stop`; their latencies.
async fn place(client: &reqwest::Client, url: &str, run: &str, stop: Arc<AtomicBool>) -> Sample {
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|k| {
            let (client, url, run, stop) = (client.clone(), format!("{url}/orders"), run.to_string(), Arc::clone(&stop));
            tokio::spawn(async move {
                let mut sample = Sample::default();
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    let order = json!({ "orderId": format!("{run}-{k}-{i}"), "bookId": "b-dune", "userId": "u-ada", "quantity": 1 });
                    match timed(client.post(&url).json(&order), |s| s == 202).await {
                        Ok(ms) => sample.ms.push(ms),
                        Err(()) => sample.failed += 1,
                    }
                    i += 1;
                }
                sample
            })
        })
        .collect();
    let mut all = Sample::default();
    for task in tasks {
        all.add(task.await.expect("no client panics"));
    }
    all
}

/// 8 clients looking up orders until `stop`, alternating a known one (of `known`) and an unknown
/// one; the latencies of each kind.
async fn look_up(
    client: &reqwest::Client,
    url: &str,
    known: Arc<Vec<String>>,
    stop: Arc<AtomicBool>,
) -> (Sample, Sample) {
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|k| {
            let (client, url, known, stop) = (client.clone(), url.to_string(), Arc::clone(&known), Arc::clone(&stop));
            tokio::spawn(async move {
                let (mut found, mut missing) = (Sample::default(), Sample::default());
                let mut state = 0x9E37_79B9_7F4A_7C15_u64 ^ k as u64;
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    // xorshift: a spread of known orders, not the few a cache would keep.
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    let id = &known[(state % known.len() as u64) as usize];
                    match timed(client.get(format!("{url}/orders/{id}")), |s| s == 200).await {
                        Ok(ms) => found.ms.push(ms),
                        Err(()) => found.failed += 1,
                    }
                    match timed(client.get(format!("{url}/orders/missing-{k}-{i}")), |s| s == 404).await {
                        Ok(ms) => missing.ms.push(ms),
                        Err(()) => missing.failed += 1,
                    }
                    i += 1;
                }
                (found, missing)
            })
        })
        .collect();
    let (mut found, mut missing) = (Sample::default(), Sample::default());
    for task in tasks {
        let (f, m) = task.await.expect("no client panics");
        found.add(f);
        missing.add(m);
    }
    (found, missing)
}

struct Row {
    size: usize,
    alone: f64,
    beside: f64,
    post_p50: (f64, f64),
    lookups: f64,
    found: (f64, f64),
    missing: (f64, f64),
    failed: u64,
}

async fn measure(size: usize, seconds: u64) -> Row {
    let shop = prepared_shop(size);
    let server = Server::start(&shop);
    let client = reqwest::Client::builder().pool_max_idle_per_host(2 * CLIENTS).build().expect("an HTTP client");
    let period = Duration::from_secs(seconds);

    let stop = Arc::new(AtomicBool::new(false));
    let placing = place(&client, &server.url, "alone", Arc::clone(&stop));
    let timer = async {
        tokio::time::sleep(period).await;
        stop.store(true, Ordering::Relaxed);
    };
    let (mut alone, ()) = tokio::join!(placing, timer);

    // Known orders: the shop's own, and those just placed (the only ones of an empty shop).
    let mut known: Vec<String> = (0..size).step_by((size / 100_000).max(1)).map(|i| format!("bench-{i}")).collect();
    known.extend((0..CLIENTS).map(|k| format!("alone-{k}-0")));
    let stop = Arc::new(AtomicBool::new(false));
    let placing = place(&client, &server.url, "beside", Arc::clone(&stop));
    let looking = look_up(&client, &server.url, Arc::new(known), Arc::clone(&stop));
    let timer = async {
        tokio::time::sleep(period).await;
        stop.store(true, Ordering::Relaxed);
    };
    let (mut beside, (mut found, mut missing), ()) = tokio::join!(placing, looking, timer);
    let lookups = (found.ms.len() + missing.ms.len()) as f64 / period.as_secs_f64();
    Row {
        size,
        alone: alone.ms.len() as f64 / period.as_secs_f64(),
        beside: beside.ms.len() as f64 / period.as_secs_f64(),
        post_p50: (alone.percentile(50.0), beside.percentile(50.0)),
        lookups,
        found: (found.percentile(50.0), found.percentile(99.0)),
        missing: (missing.percentile(50.0), missing.percentile(99.0)),
        failed: alone.failed + beside.failed + found.failed + missing.failed,
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let big = args.first().map_or(1_000_000, |n| n.parse().expect("N is a count of checkouts"));
    let seconds = args.get(1).map_or(10, |s| s.parse().expect("SECONDS is a number of seconds"));
    let mut rows = Vec::new();
    for size in [0, big] {
        eprintln!("measuring the shop of {size} checkouts for 2 x {seconds} s");
        rows.push(measure(size, seconds).await);
    }
    println!("| checkouts in the shop | POST/s alone | POST/s beside 8 lookup loops | ratio | POST p50 ms alone / beside | lookups/s | known order p50 / p99 ms | unknown order p50 / p99 ms | failed |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {:.0} | {:.0} | {:.2} | {:.2} / {:.2} | {:.0} | {:.2} / {:.2} | {:.2} / {:.2} | {} |",
            r.size,
            r.alone,
            r.beside,
            r.beside / r.alone,
            r.post_p50.0,
            r.post_p50.1,
            r.lookups,
            r.found.0,
            r.found.1,
            r.missing.0,
            r.missing.1,
            r.failed
        );
    }
    if let [empty, full] = rows.as_slice() {
        println!(
            "\nthe big shop beside the empty one: known lookups {:.2}x the p50, unknown {:.2}x, POSTs beside lookups {:.2}x the throughput",
            full.found.0 / empty.found.0,
            full.missing.0 / empty.missing.0,
            full.beside / empty.beside
        );
    }
}
