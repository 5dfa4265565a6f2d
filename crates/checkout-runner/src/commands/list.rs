//! `checkout list`: checkouts by state, those that moved longest ago first, a page at a time,
//! read from an index on either backend. The views of what is stuck are flags: `--raised` (what
//! waits for an operator), `--state preparing-order` (waiting for a courier), `--state
//! compensating --stuck-for 10m` (compensating for long).

use std::io::Write;

use checkout_domain::Phase;
use checkout_drive::world::RealWorld;
use checkout_ports::listing::{list, Cursor};
use checkout_ports::Clock;
use checkout_sqlite::Durability;
use clap::Args;

use super::CliError;
use crate::backend::{with_shop, ShopArgs};
use crate::listing::{duration_ms, ListRequest, DEFAULT_LIMIT};

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    shop: ShopArgs,
    /// Only checkouts in this state (`needs-operator`, `compensating`, ...); may be given more
    /// than once. None: every state.
    #[arg(long = "state", value_name = "STATE")]
    states: Vec<Phase>,
    /// Every checkout raised for an operator (`needs-operator`, `notice-unconfirmed`): what
    /// waits for `checkout resolve`.
    #[arg(long)]
    raised: bool,
    /// Only checkouts that have not moved for this long (`90s`, `15m`, `2h`, `1d`).
    #[arg(long, value_name = "DURATION", value_parser = duration_ms)]
    stuck_for: Option<u64>,
    /// How many to list, 1 to 500.
    #[arg(long, default_value_t = DEFAULT_LIMIT)]
    limit: usize,
    /// Go on from the page before: the `--after` it printed.
    #[arg(long, value_name = "CURSOR")]
    after: Option<Cursor>,
}

pub async fn execute(args: ListArgs) -> Result<bool, CliError> {
    let request = ListRequest {
        states: args.states,
        raised: args.raised,
        stuck_for_ms: args.stuck_for,
        limit: Some(args.limit),
        after: args.after,
    };
    let now = RealWorld::new(1).now_ms();
    let page = with_shop!(args.shop.open(false, Durability::Fsync).await?, shop => {
        list(&shop, &request.listing(now)).await?
    });
    let mut out = std::io::stdout().lock();
    let mut line = |text: String| writeln!(out, "{text}").map_err(CliError::Output);
    if page.items.is_empty() {
        line("no checkouts".to_string())?;
    }
    for item in &page.items {
        let moved = match item.since_ms {
            0 => "never moved".to_string(),
            since => format!("moved {} ago", ago(now.saturating_sub(since))),
        };
        line(format!(
            "{:<20} {:<40} order {:<24} {moved}",
            item.phase.to_string(),
            item.checkout.as_str(),
            item.order.as_str()
        ))?;
    }
    if let Some(next) = page.next {
        line(format!("more: --after {next}"))?;
    }
    Ok(true)
}

/// `ms` as the largest whole unit: `42s`, `15m`, `3h`, `2d`.
fn ago(ms: u64) -> String {
    match ms {
        ms if ms < 60_000 => format!("{}s", ms / 1_000),
        ms if ms < 3_600_000 => format!("{}m", ms / 60_000),
        ms if ms < 86_400_000 => format!("{}h", ms / 3_600_000),
        ms => format!("{}d", ms / 86_400_000),
    }
}
