//! The `checkout` program's commands. Each reads its arguments, opens the shop, does one job and
//! reports in plain lines; every failure reaches the user as one line and a non-zero exit.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use checkout_domain::operation::Operation;
use checkout_domain::{CheckoutState, Phase};
use checkout_engine::{Engine, Policy};
use checkout_ports::{CheckoutRepository, Clock, Journal, JournalEntry, Shop, ShopAdmin};
use checkout_sqlite::Durability;
use clap::{Args, Parser, Subcommand};

use crate::backend::{with_shop, AwsArgs, ShopArgs};

use crate::audit::audit;
use crate::catalog::Catalog;
use crate::faults::{FaultRates, Faulty};
use crate::lookup::{Named, WhichArgs};
use crate::supply::{CreditArgs, RestockArgs};
use crate::worker::run_in_process;
use checkout_drive::clock::ScaledClock;
use checkout_drive::courier::WorkerBehaviour;
use checkout_drive::leases::supervise;
use checkout_drive::Runner;

/// Run the book shop's checkout saga durably: on one machine in one SQLite file, or on DynamoDB,
/// SQS and SNS.
#[derive(Debug, Parser)]
#[command(name = "checkout", version)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Try it: a new shop from the sample catalog, the sample orders run in it, and the audit;
    /// prints where the shop is and what to look at next.
    Demo {
        /// Where to make the shop (a new file); by default, in the temporary directory.
        #[arg(long)]
        db: Option<PathBuf>,
    },
    /// Create a new shop and stock it from a catalog of books and customers; an existing shop is
    /// refused, unchanged.
    Init {
        #[command(flatten)]
        shop: ShopArgs,
        #[arg(long)]
        catalog: PathBuf,
    },
    /// Add copies of a book to the shelf, and price it from now on (a new book needs a price):
    /// only ever adds, and is journaled; `audit` holds the stock to the journal.
    Restock {
        #[command(flatten)]
        shop: ShopArgs,
        #[command(flatten)]
        restock: RestockArgs,
    },
    /// Add funds and loyalty points to a customer (a new one is opened): only ever adds, and is
    /// journaled; `audit` holds the accounts to the journal.
    Credit {
        #[command(flatten)]
        shop: ShopArgs,
        #[command(flatten)]
        credit: CreditArgs,
    },
    /// Admit every order of a JSON-lines file and run every unfinished checkout to its end.
    Run(RunArgs),
    /// Show one checkout: its state, price, what it owes and what came back.
    Status {
        #[command(flatten)]
        shop: ShopArgs,
        #[command(flatten)]
        which: WhichArgs,
    },
    /// Show every step of one checkout.
    History {
        #[command(flatten)]
        shop: ShopArgs,
        #[command(flatten)]
        which: WhichArgs,
        /// Print the run as a Mermaid sequence diagram instead of a table.
        #[arg(long)]
        mermaid: bool,
    },
    /// Serve the shop over HTTP: place orders, follow them, receive courier answers.
    Serve(ServeArgs),
    /// Run the courier worker as its own process: take requests from the shop's queue and
    /// answer the server over HTTP.
    Courier {
        #[command(flatten)]
        shop: ShopArgs,
        /// The server's address, e.g. http://127.0.0.1:8080.
        #[arg(long)]
        url: String,
        #[arg(long, default_value_t = 20)]
        delay_ms: u64,
        /// The share of requests for which no courier is found.
        #[arg(long, default_value_t = 0.0, value_parser = probability)]
        failure_rate: f64,
        /// The share of answers lost on the way.
        #[arg(long, default_value_t = 0.0, value_parser = probability)]
        loss_rate: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Check the saga's invariants on the shop's data; fails naming every offending order.
    Audit {
        #[command(flatten)]
        shop: ShopArgs,
        /// Also count a checkout that has not ended as a finding.
        #[arg(long)]
        all_ended: bool,
    },
    /// Set up the shop's resources on AWS (or on an AWS-protocol server such as moto).
    Aws {
        #[command(subcommand)]
        command: AwsCommand,
    },
}

#[derive(Debug, Subcommand)]
enum AwsCommand {
    /// Create the shop's DynamoDB tables, SQS queues and SNS topic, those that do not exist yet.
    Provision {
        #[command(flatten)]
        aws: AwsArgs,
    },
}

/// What every command that drives checkouts needs: the shop, its clock and the faults.
#[derive(Debug, Args)]
struct DriveArgs {
    #[command(flatten)]
    shop: ShopArgs,
    /// Never wait for fsync, not even before answering a client: survives the process being
    /// killed, not a power cut.
    #[arg(long)]
    no_fsync: bool,
    /// How much faster than the wall clock the saga's clock runs (1000: the 15-minute courier
    /// deadline passes in 0.9 s). Every process on one database must run at the same speed.
    #[arg(long, default_value_t = 1)]
    clock_speed: u64,
    /// Seeds the injected faults and the backoff jitter.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How long, in real milliseconds, this process holds a checkout it drives without renewing
    /// its lease. A `serve` takes over the checkouts of a runner that has not renewed for that
    /// long (it died, or lost the database); a shorter lease takes over sooner, and renews more
    /// often (every third of it).
    #[arg(long, default_value_t = checkout_drive::leases::DEFAULT_LEASE_MS, value_parser = clap::value_parser!(u64).range(30..))]
    lease_ms: u64,
    #[command(flatten)]
    faults: FaultArgs,
}

#[derive(Debug, Args)]
struct RunArgs {
    #[command(flatten)]
    shop: DriveArgs,
    /// One order as JSON per line.
    orders: PathBuf,
    /// Checkouts driven at once.
    #[arg(long, default_value_t = 64)]
    in_flight: usize,
}

#[derive(Debug, Args)]
struct ServeArgs {
    #[command(flatten)]
    shop: DriveArgs,
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Leave courier requests to a `checkout courier` process instead of answering them here.
    #[arg(long)]
    no_courier: bool,
}

/// Faults to inject, each a probability per call.
#[derive(Debug, Args)]
struct FaultArgs {
    /// A store call fails before taking effect.
    #[arg(long, default_value_t = 0.0, value_parser = probability)]
    transient: f64,
    /// A store call takes effect and its reply is lost.
    #[arg(long, default_value_t = 0.0, value_parser = probability)]
    lost_replies: f64,
    /// A charge is declined for good.
    #[arg(long, default_value_t = 0.0, value_parser = probability)]
    declines: f64,
    /// The courier worker finds no courier.
    #[arg(long, default_value_t = 0.0, value_parser = probability)]
    courier_failures: f64,
    /// The courier worker's answer is lost.
    #[arg(long, default_value_t = 0.0, value_parser = probability)]
    courier_losses: f64,
    /// How long the courier worker takes, in milliseconds.
    #[arg(long, default_value_t = 20)]
    courier_delay_ms: u64,
}

/// A probability, from 0 to 1.
fn probability(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("{text} is not a probability from 0 to 1")),
    }
}

/// A command's failure, as one line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Failure(pub String);

pub(crate) fn fail(e: impl std::fmt::Display) -> Failure {
    Failure(e.to_string())
}

pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    logs();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(execute(cli.command)) {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(failure) => {
            eprintln!("error: {failure}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Logs to stderr, as `CHECKOUT_LOG` filters them (`info` by default; `debug` adds a line per
/// request and per saved step). A command's own output and its one-line error are not logs.
fn logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CHECKOUT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(false).init();
}

/// Runs one command; `Ok(false)` when it ran but found something wrong.
async fn execute(command: Command) -> Result<bool, Failure> {
    match command {
        Command::Init { shop: args, catalog } => {
            let catalog = Catalog::read(&catalog).map_err(fail)?;
            with_shop!(args.open(true, Durability::Fsync).await?, shop => {
                catalog.apply(&shop, ScaledClock::new(1).now_ms()).await.map_err(fail)?;
                shop.durable().await.map_err(fail)?;
            });
            println!("{}: {} books, {} customers", args.describe(), catalog.books.len(), catalog.customers.len());
            Ok(true)
        }
        Command::Demo { db } => crate::demo::demo(db).await,
        Command::Restock { shop: args, restock } => add(&args, restock.operation()).await,
        Command::Credit { shop: args, credit } => add(&args, credit.operation()).await,
        Command::Run(args) => {
            with_shop!(args.shop.shop.open(false, durability(&args.shop)).await?, shop => {
                let runner = runner(shop, &args.shop);
                let courier = behaviour(&args.shop.faults);
                crate::run::run(runner, &args.orders, args.in_flight, courier, args.shop.seed).await
            })
        }
        Command::Serve(args) => {
            with_shop!(args.shop.shop.open(false, durability(&args.shop)).await?, shop => serve(shop, args).await)
        }
        Command::Courier { shop: args, url, delay_ms, failure_rate, loss_rate, seed } => {
            let behaviour = WorkerBehaviour { delay_ms, failure_rate, loss_rate };
            with_shop!(args.open(false, Durability::Fsync).await?, shop => {
                crate::worker::run_over_http(shop, url, behaviour, seed).await.map_err(fail)?
            });
            Ok(true)
        }
        Command::Status { shop: args, which } => {
            let named = which.named().map_err(fail)?;
            with_shop!(args.open(false, Durability::Fsync).await?, shop => {
                let checkout = find(&shop, &named).await?;
                print_status(&shop, &checkout).await?;
            });
            Ok(true)
        }
        Command::History { shop: args, which, mermaid } => {
            let named = which.named().map_err(fail)?;
            with_shop!(args.open(false, Durability::Fsync).await?, shop => {
                let checkout = find(&shop, &named).await?;
                let history = shop.history(checkout.id()).await.map_err(fail)?;
                if mermaid {
                    print!("{}", mermaid_history(&checkout, &history));
                } else {
                    print_history(&history);
                }
            });
            Ok(true)
        }
        Command::Audit { shop: args, all_ended } => {
            let now = ScaledClock::new(1).now_ms();
            let report = with_shop!(args.open(false, Durability::Fsync).await?, shop => {
                audit(&shop, now, all_ended).await.map_err(fail)?
            });
            let phases: Vec<String> = report.phases.iter().map(|(phase, n)| format!("{phase} {n}")).collect();
            println!("checkouts: {}", if phases.is_empty() { "none".to_string() } else { phases.join(", ") });
            for finding in &report.findings {
                println!("FAIL {finding}");
            }
            if report.passed() {
                println!(
                    "audit passed: stock, points and money are conserved; every ended checkout is whole or given back"
                );
            }
            Ok(report.passed())
        }
        Command::Aws { command: AwsCommand::Provision { aws } } => provision(aws).await,
    }
}

#[cfg(not(feature = "aws"))]
async fn provision(_aws: AwsArgs) -> Result<bool, Failure> {
    Err(crate::backend::without_aws())
}

#[cfg(feature = "aws")]
async fn provision(aws: AwsArgs) -> Result<bool, Failure> {
    let done = checkout_aws::AwsShop::provision(&aws.endpoint()).await.map_err(fail)?;
    for name in &done.in_place {
        let made = if done.tables_created.contains(name) { "created" } else { "in place" };
        println!("{name}: {made}");
    }
    Ok(true)
}

/// Applies an operator's operation to the shop, and says what the accounts hold now.
async fn add(args: &ShopArgs, operation: Operation) -> Result<bool, Failure> {
    with_shop!(args.open(false, Durability::Fsync).await?, shop => {
        shop.apply(ScaledClock::new(1).now_ms(), &operation).await.map_err(fail)?;
        shop.durable().await.map_err(fail)?;
        println!("{}", crate::supply::after(&shop, &operation).await.map_err(fail)?);
    });
    Ok(true)
}

fn durability(args: &DriveArgs) -> Durability {
    if args.no_fsync {
        Durability::NoFsync
    } else {
        Durability::Fsync
    }
}

/// The checkout so named.
async fn find<S: Shop>(shop: &S, named: &Named) -> Result<CheckoutState, Failure> {
    named.find(shop).await.map_err(fail)?.ok_or_else(|| Failure(format!("no {named} in this shop")))
}

/// The runner over the shop, with the faults asked for.
fn runner<S: Shop>(shop: S, args: &DriveArgs) -> Arc<Runner<Faulty<S>>> {
    let faults = &args.faults;
    let rates = FaultRates { transient: faults.transient, lost_reply: faults.lost_replies, decline: faults.declines };
    let engine = Engine::new(Policy::default(), args.seed);
    let shop = Arc::new(Faulty::new(shop, rates, args.seed));
    let clock = ScaledClock::new(args.clock_speed);
    // The lease is given in real time (a process's liveness); the runner counts in its clock's.
    let lease_ms = args.lease_ms.saturating_mul(args.clock_speed.max(1));
    Arc::new(Runner::new(shop, engine, clock).with_lease_ms(lease_ms))
}

fn behaviour(faults: &FaultArgs) -> WorkerBehaviour {
    WorkerBehaviour {
        delay_ms: faults.courier_delay_ms,
        failure_rate: faults.courier_failures,
        loss_rate: faults.courier_losses,
    }
}

async fn serve<S: Shop>(shop: S, args: ServeArgs) -> Result<bool, Failure> {
    let runner = runner(shop, &args.shop);
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .map_err(|e| Failure(format!("cannot listen on {}: {e}", args.listen)))?;
    // Checkouts left unfinished are taken over once their lease lapses, by this server's sweep
    // or another's: a server started beside a live one does not take that one's checkouts.
    let lapsed = runner.shop().lapsed(runner.clock().now_ms()).await.map_err(fail)?.len();
    let unfinished = runner.shop().unfinished().await.map_err(fail)?.len();
    let supervisor = tokio::spawn(supervise(Arc::clone(&runner), true));
    if !args.no_courier {
        tokio::spawn(run_in_process(Arc::clone(&runner), behaviour(&args.shop.faults), args.shop.seed));
    }
    let address = listener.local_addr().map_err(fail)?;
    // The listening address comes first: scripts and tests read the first URL on the line.
    println!(
        "serving on http://{address} ({}; {unfinished} checkouts unfinished, {lapsed} of them abandoned, being taken over)",
        args.shop.shop.describe()
    );
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let server = crate::listen::serve_connections(listener, crate::serve::router(Arc::clone(&runner)), stopping);
    // On SIGINT or SIGTERM: no new connections; open requests get SHUTDOWN_GRACE to finish (a
    // `?wait=true` may wait for a courier for minutes, and a slow client for ever); then the
    // leases of every checkout still driven are given up, so another server takes them over at
    // its next sweep instead of a lease later.
    tokio::select! {
        () = server => {}
        () = async {
            stop_signal().await;
            let _ = stop.send(true);
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => tracing::warn!(grace_s = SHUTDOWN_GRACE.as_secs(), "stopped: requests still open after the grace were cut off"),
    }
    // No renewal may land after the leases are given up.
    supervisor.abort();
    let _ = supervisor.await;
    if let Err(e) = runner.release_leases().await {
        tracing::warn!(error = %e, "could not give up the leases: other servers take over when they lapse");
    }
    Ok(true)
}

/// How long a stopping server lets open requests finish.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// SIGINT (Ctrl-C) or SIGTERM (a service manager, `kill`), whichever comes first.
async fn stop_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut terminate) => {
                terminate.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

async fn print_status<S: Shop>(shop: &S, checkout: &CheckoutState) -> Result<(), Failure> {
    let held = shop.held(checkout.id()).await.map_err(fail)?;
    let order = checkout.order();
    let mut out = std::io::stdout().lock();
    let mut line = |text: String| writeln!(out, "{text}").map_err(fail);
    line(format!("checkout  {}", checkout.id()))?;
    line(format!(
        "order     {}: {} x {} for {}{}",
        order.id(),
        order.quantity().get(),
        order.book(),
        order.user(),
        if order.redeem_points() { ", redeeming points" } else { "" }
    ))?;
    line(format!("state     {}", checkout.phase()))?;
    if let Some(pricing) = checkout.pricing() {
        line(format!(
            "price     {} x {} = {}, {} points, {} due",
            order.quantity().get(),
            pricing.unit_price.minor_units(),
            pricing.total.minor_units(),
            pricing.points_redeemed.get(),
            pricing.amount_due.minor_units()
        ))?;
    }
    if let Some(wait) = checkout.courier_wait() {
        line(format!("courier   waiting until {} ms", wait.deadline_ms))?;
    }
    let owes: Vec<String> = checkout.owes().iter().map(|c| format!("{c:?}")).collect();
    if checkout.phase() == Phase::Compensating {
        line(format!("owes      {}", owes.join(", ")))?;
    }
    line(format!("holds     {} copies, {} points, {} charged", held.stock, held.points, held.money))?;
    if let checkout_domain::CheckoutRecord::Compensated { returned, .. }
    | checkout_domain::CheckoutRecord::NeedsOperator { returned, .. }
    | checkout_domain::CheckoutRecord::Compensating { returned, .. } = checkout.record()
    {
        line(format!(
            "returned  {} copies, {} points, {} refunded",
            returned.stock,
            returned.points.get(),
            returned.money.minor_units()
        ))?;
    }
    for refused in checkout.unreturned() {
        line(format!("REFUSED   {:?}: {} (for an operator)", refused.compensation, refused.detail))?;
    }
    Ok(())
}

fn print_history(history: &[JournalEntry]) {
    let start = history.first().map_or(0, |e| e.at_ms);
    println!("| +ms | step | attempt | result | state after |");
    println!("|---|---|---|---|---|");
    for entry in history {
        println!(
            "| {} | {} | {} | {} | {} |",
            entry.at_ms.saturating_sub(start),
            entry.step,
            entry.attempt,
            entry.outcome,
            entry.phase
        );
    }
}

/// The checkout's real run as a Mermaid sequence diagram, like the runs in docs/proofs.md.
pub fn mermaid_history(checkout: &CheckoutState, history: &[JournalEntry]) -> String {
    let mut md = String::from("sequenceDiagram\n");
    for (id, name) in [
        ("O", "Orchestrator"),
        ("S", "Stock, points, payments"),
        ("Q", "Courier queue"),
        ("W", "Courier worker"),
        ("X", "Courier"),
    ] {
        md.push_str(&format!("    participant {id} as {name}\n"));
    }
    md.push_str(&format!("    Note over O: {} (order {})\n", checkout.id(), checkout.order().id()));
    for (i, entry) in history.iter().enumerate() {
        let (from, to) = match entry.step.as_str() {
            "reserve-stock" | "release-stock" | "redeem-points" | "restore-points" | "charge" | "refund" => ("O", "S"),
            "request-courier" => ("O", "Q"),
            "courier-reply" => ("W", "O"),
            "notify-courier" => ("O", "X"),
            _ => ("O", "O"),
        };
        let attempt = if entry.attempt > 1 { format!(" (attempt {})", entry.attempt) } else { String::new() };
        let text = format!("{}. {}{attempt}: {}, now {}", i + 1, entry.step, entry.outcome, entry.phase)
            .replace([';', '#'], " ");
        md.push_str(&format!("    {from}->>{to}: {text}\n"));
    }
    md
}
