//! `checkout init`: a new shop, stocked from a catalog of books and customers. An existing shop
//! is refused, unchanged: stocking a live one over again would resell sold copies.

use std::path::PathBuf;

use checkout_drive::world::RealWorld;
use checkout_ports::{CheckoutRepository, Clock};
use checkout_sqlite::Durability;
use clap::Args;

use super::CliError;
use crate::backend::{with_shop, ShopArgs};
use crate::catalog::Catalog;

#[derive(Debug, Args)]
pub struct InitArgs {
    #[command(flatten)]
    shop: ShopArgs,
    #[arg(long)]
    catalog: PathBuf,
}

pub async fn execute(args: InitArgs) -> Result<bool, CliError> {
    let catalog = Catalog::read(&args.catalog)?;
    with_shop!(args.shop.open(true, Durability::Fsync).await?, shop => {
        catalog.apply(&shop, RealWorld::new(1).now_ms()).await?;
        shop.durable().await?;
    });
    println!("{}: {} books, {} customers", args.shop.describe(), catalog.books.len(), catalog.customers.len());
    Ok(true)
}
