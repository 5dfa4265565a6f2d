//! The `checkout` program's commands, one file each (after mini-redis and restate's CLI): each
//! reads its arguments, opens the shop, does one job and reports in plain lines; every failure
//! reaches the user as one line ([`CliError`]) and a non-zero exit.

pub mod audit;
pub mod aws;
pub mod cancel;
pub mod courier;
pub mod demo;
pub mod drive;
mod error;
pub mod history;
pub mod init;
pub mod list;
pub mod resolve;
pub mod run;
pub mod serve;
pub mod status;
pub mod supply;

pub use error::CliError;

use checkout_domain::CheckoutState;
use checkout_ports::Shop;
use clap::{Parser, Subcommand};

use crate::lookup::Named;

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
    Demo(demo::DemoArgs),
    /// Create a new shop and stock it from a catalog of books and customers; an existing shop is
    /// refused, unchanged.
    Init(init::InitArgs),
    /// Add copies of a book to the shelf, and price it from now on (a new book needs a price):
    /// only ever adds, and is journaled; `audit` holds the stock to the journal.
    Restock(supply::RestockArgs),
    /// Add funds and loyalty points to a customer (a new one is opened): only ever adds, and is
    /// journaled; `audit` holds the accounts to the journal.
    Credit(supply::CreditArgs),
    /// Admit every order of a JSON-lines file and run every unfinished checkout to its end.
    Run(run::RunArgs),
    /// Show one checkout: its state, price, what it owes and what came back.
    Status(status::StatusArgs),
    /// List checkouts by state, those that moved longest ago first, a page at a time: what waits
    /// for an operator (`--raised`), for a courier, or has been compensating for long.
    List(list::ListArgs),
    /// Cancel an order for its customer: before a courier is assigned, its checkout stops and
    /// gives back everything it took; after, the cancel is refused with the reason.
    Cancel(cancel::CancelArgs),
    /// Close a checkout raised for an operator (a compensation or its courier notice refused
    /// for good) by recording what was done by hand; `audit` then counts what it holds as
    /// settled by hand.
    Resolve(resolve::ResolveArgs),
    /// Show every step of one checkout.
    History(history::HistoryArgs),
    /// Serve the shop over HTTP: place orders, follow them, receive courier answers.
    Serve(serve::ServeArgs),
    /// Run the courier worker as its own process: take requests from the shop's queue and
    /// answer the server over HTTP.
    Courier(courier::CourierArgs),
    /// Check the saga's invariants on the shop's data; fails naming every offending order.
    Audit(audit::AuditArgs),
    /// Set up the shop's resources on AWS (or on an AWS-protocol server such as moto).
    Aws {
        #[command(subcommand)]
        command: aws::AwsCommand,
    },
}

pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // Logs to stderr (`CHECKOUT_LOG`; a command's own output and its one-line error are not
    // logs), and traces over OTLP if asked; dropped last, which sends the last traces.
    let _telemetry = crate::traces::install();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let answer = runtime.block_on(execute(cli.command));
    drop(runtime);
    match answer {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(failure) => {
            eprintln!("error: {failure}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Runs one command; `Ok(false)` when it ran but found something wrong.
async fn execute(command: Command) -> Result<bool, CliError> {
    match command {
        Command::Demo(args) => demo::execute(args).await,
        Command::Init(args) => init::execute(args).await,
        Command::Restock(args) => supply::add(&args.shop, args.operation()).await,
        Command::Credit(args) => supply::add(&args.shop, args.operation()).await,
        Command::Run(args) => run::execute(args).await,
        Command::Status(args) => status::execute(args).await,
        Command::Cancel(args) => cancel::execute(args).await,
        Command::Resolve(args) => resolve::execute(args).await,
        Command::List(args) => list::execute(args).await,
        Command::History(args) => history::execute(args).await,
        Command::Serve(args) => serve::execute(args).await,
        Command::Courier(args) => courier::execute(args).await,
        Command::Audit(args) => audit::execute(args).await,
        Command::Aws { command } => aws::execute(command).await,
    }
}

/// The checkout so named.
async fn find<S: Shop>(shop: &S, named: &Named) -> Result<CheckoutState, CliError> {
    named.find(shop).await?.ok_or_else(|| CliError::NotFound(named.clone()))
}
