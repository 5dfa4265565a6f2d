//! `checkout status`: one checkout, by its order or its own id: its state, price, what it owes,
//! what it holds and what came back.

use std::io::Write;

use checkout_domain::{CheckoutState, Phase};
use checkout_ports::Shop;
use checkout_sqlite::Durability;
use clap::Args;

use super::CliError;
use crate::backend::{with_shop, ShopArgs};
use crate::lookup::WhichArgs;

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    shop: ShopArgs,
    #[command(flatten)]
    which: WhichArgs,
}

pub async fn execute(args: StatusArgs) -> Result<bool, CliError> {
    let named = args.which.named()?;
    with_shop!(args.shop.open(false, Durability::Fsync).await?, shop => {
        let checkout = super::find(&shop, &named).await?;
        print_status(&shop, &checkout).await?;
    });
    Ok(true)
}

async fn print_status<S: Shop>(shop: &S, checkout: &CheckoutState) -> Result<(), CliError> {
    let held = shop.held(checkout.id()).await?;
    let order = checkout.order();
    let mut out = std::io::stdout().lock();
    let mut line = |text: String| writeln!(out, "{text}").map_err(CliError::Output);
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
