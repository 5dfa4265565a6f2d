//! `checkout run`: admits every order of a JSON-lines file and drives every unfinished checkout
//! to its end, with a progress bar and a summary. Orders are read, admitted and driven as a
//! stream: memory holds what is in flight, not the file, whatever its size.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use checkout_domain::fencing::Lease;
use checkout_domain::registry::Admission;
use checkout_domain::{CheckoutId, Order};
use checkout_drive::leases::supervise;
use checkout_drive::{drive_all, Driver};
use checkout_ports::Shop;
use futures::StreamExt;

use super::drive::DriveArgs;
use super::CliError;
use crate::backend::with_shop;
use crate::worker::run_in_process;
use checkout_drive::courier::WorkerBehaviour;

/// How many admissions are under way at once: enough for the SQLite writer to commit them in
/// groups and for DynamoDB's round trips to overlap.
const ADMITTING: usize = 32;

/// What became of the file's lines.
#[derive(Default)]
struct Admitted {
    opened: AtomicUsize,
    again: AtomicUsize,
    refused: AtomicUsize,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    drive: DriveArgs,
    /// One order as JSON per line.
    orders: PathBuf,
    /// Checkouts driven at once.
    #[arg(long, default_value_t = 64)]
    in_flight: usize,
}

pub async fn execute(args: RunArgs) -> Result<bool, CliError> {
    with_shop!(args.drive.shop.open(false, args.drive.durability()).await?, shop => {
        let runner = args.drive.runner(shop);
        run(runner, &args.orders, args.in_flight, args.drive.courier(), args.drive.seed).await
    })
}

/// Runs the orders in `orders` on `runner`'s shop, `in_flight` checkouts at once. `Ok(false)`
/// if some order was refused or some checkout stopped before its end.
pub async fn run<S: Shop>(
    runner: Arc<Driver<S>>,
    orders: &Path,
    in_flight: usize,
    courier: WorkerBehaviour,
    seed: u64,
) -> Result<bool, CliError> {
    let cannot_read = |source| CliError::File { action: "read the orders", path: orders.to_path_buf(), source };
    let lines = count_lines(orders).map_err(cannot_read)?;
    // Earlier runs' leftovers are listed before this run admits anything; what it opens follows.
    let leftovers = runner.shop().unfinished().await?;

    let progress = indicatif::ProgressBar::new((leftovers.len() + lines) as u64);
    progress.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} checkouts  {per_sec}  eta {eta}")
            .expect("a valid template"),
    );
    let admitted = Arc::new(Admitted::default());
    let opened = admissions(Arc::clone(&runner), orders.to_path_buf(), Arc::clone(&admitted), progress.clone())
        .map_err(cannot_read)?;

    let worker = tokio::spawn(run_in_process(Arc::clone(&runner), courier, seed));
    // A batch run takes over what nobody holds and waits for what another runner holds
    // (`drive_all`); it keeps the leases of what it drives, that nobody takes those over.
    let leases = tokio::spawn(supervise(Arc::clone(&runner), false));
    let outcomes: Arc<Mutex<BTreeMap<&'static str, usize>>> = Arc::default();
    let started = Instant::now();
    {
        let (progress, outcomes) = (progress.clone(), Arc::clone(&outcomes));
        let ids = futures::stream::iter(leftovers).chain(opened);
        drive_all(Arc::clone(&runner), ids, in_flight, move |id, outcome| {
            progress.inc(1);
            let name = match outcome {
                Ok(outcome) => outcome.name(),
                Err(e) => {
                    progress.println(format!("checkout {id} stopped: {e}"));
                    "stopped, to resume"
                }
            };
            if let Ok(mut outcomes) = outcomes.lock() {
                *outcomes.entry(name).or_default() += 1;
            }
        })
        .await;
    }
    progress.finish_and_clear();
    worker.abort();
    leases.abort();
    // The summary tells what was done: on disk before it is printed.
    runner.shop().durable().await?;
    let elapsed = started.elapsed().as_secs_f64();

    let load = |n: &AtomicUsize| n.load(Ordering::Relaxed);
    let refused = load(&admitted.refused);
    println!("{} orders admitted, {} already known, {refused} refused", load(&admitted.opened), load(&admitted.again));
    let outcomes = outcomes.lock().map(|o| o.clone()).unwrap_or_default();
    let ran: usize = outcomes.values().sum();
    println!("| outcome | checkouts |\n|---|---|");
    for (outcome, n) in &outcomes {
        println!("| {outcome} | {n} |");
    }
    println!("ran {ran} checkouts in {elapsed:.2} s: {:.0} checkouts/s", ran as f64 / elapsed.max(1e-9));
    let stopped = outcomes.get("stopped, to resume").copied().unwrap_or(0);
    if stopped > 0 {
        eprintln!("{stopped} checkouts stopped before their end; run again to resume them");
    }
    Ok(refused == 0 && stopped == 0)
}

/// The non-blank lines of `path`: the progress bar's length, read before the run starts.
fn count_lines(path: &Path) -> std::io::Result<usize> {
    let mut count = 0;
    for line in std::io::BufReader::new(std::fs::File::open(path)?).lines() {
        count += usize::from(!line?.trim().is_empty());
    }
    Ok(count)
}

/// The checkouts opened for the orders of `path`, admitted as the stream is read. A thread reads
/// the file, a line at a time and a few ahead; a line that is not an order, or that the shop
/// refuses, is named on stderr with its line number and counted as refused.
fn admissions<S: Shop>(
    runner: Arc<Driver<S>>,
    path: PathBuf,
    admitted: Arc<Admitted>,
    progress: indicatif::ProgressBar,
) -> std::io::Result<impl futures::Stream<Item = CheckoutId> + Send> {
    let file = std::fs::File::open(&path)?;
    let (lines, read) = tokio::sync::mpsc::channel::<(usize, std::io::Result<String>)>(ADMITTING * 4);
    std::thread::Builder::new().name("orders-reader".into()).spawn(move || {
        for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
            let stop = line.is_err();
            if lines.blocking_send((n + 1, line)).is_err() || stop {
                return;
            }
        }
    })?;
    let lines = futures::stream::unfold(read, |mut read| async move { read.recv().await.map(|line| (line, read)) });
    let name = path.display().to_string();
    Ok(lines
        .map(move |(n, line)| {
            let (runner, admitted, progress, name) =
                (Arc::clone(&runner), Arc::clone(&admitted), progress.clone(), name.clone());
            async move {
                let refuse = |e: &dyn std::fmt::Display| {
                    progress.println(format!("{name}:{n}: {e}"));
                    admitted.refused.fetch_add(1, Ordering::Relaxed);
                    progress.inc(1);
                    None
                };
                let line = match line {
                    Ok(line) if line.trim().is_empty() => return None,
                    Ok(line) => line,
                    Err(e) => return refuse(&e),
                };
                let order = match Order::from_json(&line) {
                    Ok(order) => order,
                    Err(e) => return refuse(&e),
                };
                // Admitted under no lease: a batch drives its checkouts by taking them over as it
                // would any nobody holds, and a runner beside it may take them first.
                match runner.shop().admit(&order, checkout_drive::ids::fresh_checkout_id(), Lease::LAPSED).await {
                    Ok(Admission::Opened(id)) => {
                        admitted.opened.fetch_add(1, Ordering::Relaxed);
                        Some(id)
                    }
                    Ok(Admission::Existing(_)) => {
                        admitted.again.fetch_add(1, Ordering::Relaxed);
                        progress.inc(1);
                        None
                    }
                    Err(e) => refuse(&e),
                }
            }
        })
        .buffered(ADMITTING)
        .filter_map(futures::future::ready))
}
