//! `checkout history`: every step of one checkout, as a table or as a Mermaid sequence diagram.

use checkout_domain::CheckoutState;
use checkout_ports::{Journal, JournalEntry};
use checkout_sqlite::Durability;
use clap::Args;

use super::CliError;
use crate::backend::{with_shop, ShopArgs};
use crate::lookup::WhichArgs;

#[derive(Debug, Args)]
pub struct HistoryArgs {
    #[command(flatten)]
    shop: ShopArgs,
    #[command(flatten)]
    which: WhichArgs,
    /// Print the run as a Mermaid sequence diagram instead of a table.
    #[arg(long)]
    mermaid: bool,
}

pub async fn execute(args: HistoryArgs) -> Result<bool, CliError> {
    let named = args.which.named()?;
    with_shop!(args.shop.open(false, Durability::Fsync).await?, shop => {
        let checkout = super::find(&shop, &named).await?;
        let history = shop.history(checkout.id()).await?;
        if args.mermaid {
            print!("{}", mermaid_history(&checkout, &history));
        } else {
            print_history(&history);
        }
    });
    Ok(true)
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
