//! `checkout audit`: the saga's invariants checked on the shop's data (see [`crate::audit`]);
//! fails naming every offending order.

use checkout_drive::world::RealWorld;
use checkout_ports::Clock;
use checkout_sqlite::Durability;
use clap::Args;

use super::CliError;
use crate::audit::audit;
use crate::backend::{with_shop, ShopArgs};

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    shop: ShopArgs,
    /// Also count a checkout that has not ended as a finding.
    #[arg(long)]
    all_ended: bool,
}

pub async fn execute(args: AuditArgs) -> Result<bool, CliError> {
    let now = RealWorld::new(1).now_ms();
    let report = with_shop!(args.shop.open(false, Durability::Fsync).await?, shop => {
        audit(&shop, now, args.all_ended).await?
    });
    let phases: Vec<String> = report.phases.iter().map(|(phase, n)| format!("{phase} {n}")).collect();
    println!("checkouts: {}", if phases.is_empty() { "none".to_string() } else { phases.join(", ") });
    let by_hand = report.by_hand;
    if by_hand.checkouts > 0 {
        let held = |h: checkout_ports::Held| format!("{} copies, {} charged, {} points", h.stock, h.money, h.points);
        println!(
            "resolved by operators: {} checkouts; given back outside the shop: {}; went out on a courier's confirmation: {}",
            by_hand.checkouts,
            held(by_hand.given_back),
            held(by_hand.went_out)
        );
    }
    for finding in &report.findings {
        println!("FAIL {finding}");
    }
    if report.passed() {
        println!("audit passed: stock, points and money are conserved; every ended checkout is whole or given back");
    }
    Ok(report.passed())
}
