//! `checkout restock` and `checkout credit`: what an operator adds to a live shop. Each is one
//! [`Operation`], checked and journaled by the shop with its effect in one atomic write; it only
//! ever adds, so no sale is undone, and `checkout audit` holds every account to the journal.

use checkout_domain::operation::Operation;
use checkout_domain::{BookId, Money, OrderError, UserId};
use checkout_drive::world::RealWorld;
use checkout_ports::{CheckoutRepository, Clock, ShopAdmin};
use checkout_sqlite::Durability;
use clap::Args;

use super::CliError;
use crate::backend::{with_shop, ShopArgs};

/// Copies of a book to add, and its price from now on.
#[derive(Debug, Args)]
pub struct RestockArgs {
    #[command(flatten)]
    pub shop: ShopArgs,
    #[arg(long, value_parser = book_id)]
    pub book: BookId,
    /// Copies to add to the shelf.
    #[arg(long, default_value_t = 0)]
    pub copies: u64,
    /// The unit price from now on, in minor units (cents); needed for a book new to the shop.
    /// Checkouts already priced keep their price.
    #[arg(long)]
    pub price: Option<u64>,
}

/// Funds and points to add to a customer.
#[derive(Debug, Args)]
pub struct CreditArgs {
    #[command(flatten)]
    pub shop: ShopArgs,
    #[arg(long, value_parser = user_id)]
    pub customer: UserId,
    /// Funds to add, in minor units (cents).
    #[arg(long, default_value_t = 0)]
    pub funds: u64,
    /// Loyalty points to add.
    #[arg(long, default_value_t = 0)]
    pub points: u64,
}

fn book_id(text: &str) -> Result<BookId, OrderError> {
    BookId::new(text)
}

fn user_id(text: &str) -> Result<UserId, OrderError> {
    UserId::new(text)
}

impl RestockArgs {
    pub fn operation(&self) -> Operation {
        Operation::Restock {
            book: self.book.clone(),
            copies: self.copies,
            price: self.price.map(Money::from_minor_units),
        }
    }
}

impl CreditArgs {
    pub fn operation(&self) -> Operation {
        Operation::Credit { user: self.customer.clone(), funds: self.funds, points: self.points }
    }
}

/// What the accounts an operation added to hold now, as one line.
pub async fn after(shop: &impl ShopAdmin, operation: &Operation) -> Result<String, checkout_ports::StorageError> {
    let balances = shop.balances().await?;
    Ok(match operation {
        Operation::Restock { book, copies, price } => {
            let shelf = balances.stock.get(book).copied().unwrap_or(0);
            let taken = balances.held.stock.get(book).copied().unwrap_or(0);
            let priced = price.map(|p| format!(", now at {}", p.minor_units())).unwrap_or_default();
            format!("{book}: {copies} copies added{priced}; {shelf} on the shelf, {taken} taken by checkouts")
        }
        Operation::Credit { user, funds, points } => {
            let (has_funds, has_points) =
                (balances.funds.get(user).copied().unwrap_or(0), balances.points.get(user).copied().unwrap_or(0));
            format!(
                "{user}: {funds} funds and {points} points added; {has_funds} funds and {has_points} points to spend"
            )
        }
    })
}

/// Applies an operator's operation to the shop, and says what the accounts hold now.
pub async fn add(shop: &ShopArgs, operation: Operation) -> Result<bool, CliError> {
    with_shop!(shop.open(false, Durability::Fsync).await?, shop => {
        shop.apply(RealWorld::new(1).now_ms(), &operation).await?;
        shop.durable().await?;
        println!("{}", after(&shop, &operation).await?);
    });
    Ok(true)
}
