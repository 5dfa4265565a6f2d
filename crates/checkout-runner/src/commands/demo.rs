//! `checkout demo`: the whole product in one command on a fresh machine. A new SQLite shop is
//! stocked from the sample catalog, the sample orders are run in it (the last copy of a first
//! edition, an unknown book, a customer who cannot pay, points redeemed), and the shop is
//! audited; the summary ends with the commands to look further. The samples are built into the
//! program, so it needs no file but the shop it makes.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use checkout_drive::courier::WorkerBehaviour;
use checkout_drive::world::RealWorld;
use checkout_drive::Driver;
use checkout_engine::{Engine, Policy};
use checkout_ports::{CheckoutRepository, Clock};
use checkout_sqlite::{Durability, SqliteShop};

use super::CliError;
use crate::catalog::Catalog;

const CATALOG: &str = include_str!("../../../../examples/catalog.json");
const ORDERS: &str = include_str!("../../../../examples/orders.jsonl");

/// How much faster than the wall clock the demo's saga runs: the 15-minute courier deadline
/// passes in 0.9 s.
const CLOCK_SPEED: u64 = 1000;

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where to make the shop (a new file); by default, in the temporary directory.
    #[arg(long)]
    db: Option<PathBuf>,
}

/// Runs the demo in a new shop at `db` (by default a new file in the system's temporary
/// directory); an existing file is refused, unchanged. `Ok(false)` if the audit found anything.
pub async fn execute(DemoArgs { db }: DemoArgs) -> Result<bool, CliError> {
    let clock = RealWorld::new(CLOCK_SPEED);
    let db = db.unwrap_or_else(|| std::env::temp_dir().join(format!("checkout-demo-{}.db", clock.now_ms())));
    if db.exists() {
        return Err(CliError::DemoExists(db));
    }
    let catalog = Catalog::parse(CATALOG, Path::new("the sample catalog"))?;
    let shop = SqliteShop::open(&db, true, Durability::Fsync)?;
    catalog.apply(&shop, RealWorld::new(1).now_ms()).await?;
    shop.durable().await?;
    println!("a new shop in {}: {} books, {} customers", db.display(), catalog.books.len(), catalog.customers.len());

    let orders = db.with_extension("orders.jsonl");
    std::fs::write(&orders, ORDERS).map_err(|source| CliError::File {
        action: "write",
        path: orders.clone(),
        source,
    })?;
    let engine = Engine::new(Policy::default(), 1);
    let runner = Arc::new(Driver::new(Arc::new(shop), engine, clock));
    let courier = WorkerBehaviour { delay_ms: 5, ..WorkerBehaviour::default() };
    let ran = super::run::run(Arc::clone(&runner), &orders, 64, courier, 1).await?;
    let report = crate::audit::audit(runner.shop().as_ref(), RealWorld::new(1).now_ms(), true).await?;
    for finding in &report.findings {
        println!("FAIL {finding}");
    }
    if report.passed() {
        println!("audit passed: stock, points and money are conserved; every checkout ended whole or given back");
    }
    let db = db.display();
    println!("\nlook further:");
    println!("  checkout status --db {db} --order o-too-dear");
    println!("  checkout history --db {db} --order o-004 --mermaid");
    println!("  checkout serve --db {db}    (then POST /orders, GET /orders/{{order}})");
    Ok(ran && report.passed())
}
