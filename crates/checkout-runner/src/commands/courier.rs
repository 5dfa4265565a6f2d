//! `checkout courier`: the courier worker as its own process, taking requests from the shop's
//! queue and answering the server over HTTP.

use checkout_drive::courier::WorkerBehaviour;
use checkout_sqlite::Durability;
use clap::Args;

use super::drive::probability;
use super::CliError;
use crate::backend::{with_shop, ShopArgs};

#[derive(Debug, Args)]
pub struct CourierArgs {
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
}

pub async fn execute(args: CourierArgs) -> Result<bool, CliError> {
    let behaviour =
        WorkerBehaviour { delay_ms: args.delay_ms, failure_rate: args.failure_rate, loss_rate: args.loss_rate };
    with_shop!(args.shop.open(false, Durability::Fsync).await?, shop => {
        crate::worker::run_over_http(shop, args.url, behaviour, args.seed).await?
    });
    Ok(true)
}
