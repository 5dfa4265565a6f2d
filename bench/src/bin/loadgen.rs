//! A closed-loop HTTP load generator for the side-by-side benchmark (bench/peers): `N` checkouts
//! with `C` in flight, each a POST of one order that answers when the checkout has ended, after
//! `WARMUP` unmeasured ones. Prints one JSON line: throughput and latency percentiles.
//!
//! Usage: `loadgen URL N C WARMUP LABEL`

use std::time::{Duration, Instant};

use serde_json::json;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((p / 100.0) * sorted.len() as f64) as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

async fn phase(client: &reqwest::Client, url: &str, n: usize, c: usize, run: &str) -> (Vec<Duration>, usize, Duration) {
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..c.min(n))
        .map(|_| {
            let (client, url, next, run) = (client.clone(), url.to_string(), next.clone(), run.to_string());
            tokio::spawn(async move {
                let (mut latencies, mut errors) = (Vec::new(), 0);
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= n {
                        return (latencies, errors);
                    }
                    let order = json!({
                        "orderId": format!("{run}-{i}"),
                        "bookId": format!("b-{}", i % 10),
                        "userId": format!("u-{}", i % 100),
                        "quantity": 1 + i % 3,
                        "redeem": i % 4 == 0,
                    });
                    let sent = Instant::now();
                    match client.post(&url).json(&order).send().await {
                        Ok(response) if response.status().is_success() => {
                            let _ = response.bytes().await;
                            latencies.push(sent.elapsed());
                        }
                        Ok(response) => {
                            if errors == 0 {
                                eprintln!("{}: {}", response.status(), response.text().await.unwrap_or_default());
                            }
                            errors += 1;
                        }
                        Err(e) => {
                            if errors == 0 {
                                eprintln!("{e}");
                            }
                            errors += 1;
                        }
                    }
                }
            })
        })
        .collect();
    let (mut all, mut errors) = (Vec::new(), 0);
    for worker in workers {
        let (latencies, e) = worker.await.expect("no worker panics");
        all.extend(latencies);
        errors += e;
    }
    (all, errors, started.elapsed())
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, n, c, warmup, label] = args.as_slice() else {
        eprintln!("usage: loadgen URL N C WARMUP LABEL");
        std::process::exit(2);
    };
    let parse = |s: &str| s.parse::<usize>().unwrap_or_else(|_| panic!("{s} is not a count"));
    let (n, c, warmup) = (parse(n), parse(c), parse(warmup));
    let client = reqwest::Client::builder().pool_max_idle_per_host(c).build().expect("an HTTP client");
    let run = format!("{}", std::process::id());
    if warmup > 0 {
        phase(&client, url, warmup, c, &format!("{run}w")).await;
    }
    let (mut latencies, errors, wall) = phase(&client, url, n, c, &run).await;
    latencies.sort();
    if latencies.is_empty() {
        eprintln!("no request succeeded");
        std::process::exit(1);
    }
    let result = json!({
        "label": label,
        "n": n,
        "concurrency": c,
        "ok": latencies.len(),
        "errors": errors,
        "wall_s": wall.as_secs_f64(),
        "per_s": latencies.len() as f64 / wall.as_secs_f64(),
        "p50_ms": percentile(&latencies, 50.0),
        "p99_ms": percentile(&latencies, 99.0),
    });
    println!("{result}");
}
