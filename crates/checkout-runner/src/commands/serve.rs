//! `checkout serve`: the shop over HTTP (place orders, follow them, receive courier answers),
//! with the lease supervisor that takes over abandoned checkouts, and a graceful stop.

use std::sync::Arc;

use checkout_drive::leases::supervise;
use checkout_ports::{CheckoutRepository, Clock, Shop};
use clap::Args;

use super::drive::DriveArgs;
use super::CliError;
use crate::backend::with_shop;
use crate::serve::OperatorToken;
use crate::worker::run_in_process;

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    shop: DriveArgs,
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Leave courier requests to a `checkout courier` process instead of answering them here.
    #[arg(long)]
    no_courier: bool,
    /// A file holding the token operators send (`Authorization: Bearer <token>`, at least 24
    /// visible characters) for operator actions over HTTP, such as resolving a checkout raised
    /// for an operator. Without it those actions are off (403).
    #[arg(long, value_name = "PATH")]
    operator_token_file: Option<std::path::PathBuf>,
}

pub async fn execute(args: ServeArgs) -> Result<bool, CliError> {
    with_shop!(args.shop.shop.open(false, args.shop.durability()).await?, shop => serve(shop, args).await)
}

async fn serve<S: Shop>(shop: S, args: ServeArgs) -> Result<bool, CliError> {
    let operator = args.operator_token_file.as_deref().map(OperatorToken::from_file).transpose()?;
    let runner = args.shop.runner(shop);
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .map_err(|source| CliError::Listen { address: args.listen.clone(), source })?;
    // Checkouts left unfinished are taken over once their lease lapses, by this server's sweep
    // or another's: a server started beside a live one does not take that one's checkouts.
    let lapsed = runner.shop().lapsed(runner.clock().now_ms()).await?.len();
    let unfinished = runner.shop().unfinished().await?.len();
    let supervisor = tokio::spawn(supervise(Arc::clone(&runner), true));
    if !args.no_courier {
        tokio::spawn(run_in_process(Arc::clone(&runner), args.shop.courier(), args.shop.seed));
    }
    let address = listener.local_addr().map_err(|source| CliError::Listen { address: args.listen.clone(), source })?;
    // The listening address comes first: scripts and tests read the first URL on the line.
    println!(
        "serving on http://{address} ({}; {unfinished} checkouts unfinished, {lapsed} of them abandoned, being taken over)",
        args.shop.shop.describe()
    );
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let router = crate::serve::router(Arc::clone(&runner), crate::serve::metrics::install()?, operator);
    let server = crate::listen::serve_connections(listener, router, stopping);
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
