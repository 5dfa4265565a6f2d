//! The shop's catalog: books on the shelf and customers, as `checkout init` reads them from JSON
//! to create a new shop (never to restock a live one).
//!
//! ```json
//! { "books": [{ "id": "b-dune", "title": "Dune", "stock": 40, "price": 1299 }],
//!   "customers": [{ "id": "u-ada", "name": "Ada", "funds": 50000, "points": 300 }] }
//! ```
//! Prices and funds are in minor units (cents).

use std::path::{Path, PathBuf};

use checkout_domain::excerpt::excerpt;
use checkout_domain::operation::Operation;
use checkout_domain::{BookId, Money, UserId};
use checkout_ports::{AdminError, ShopAdmin, StorageError};
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    pub books: Vec<Book>,
    pub customers: Vec<Customer>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Book {
    pub id: BookId,
    pub title: String,
    pub stock: u32,
    /// Unit price in minor units.
    pub price: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    pub id: UserId,
    #[serde(default)]
    pub name: String,
    /// What the customer can spend, in minor units.
    pub funds: u64,
    #[serde(default)]
    pub points: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("cannot read the catalog {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("the catalog {path} is not valid: {detail}")]
    Invalid { path: PathBuf, detail: String },
    #[error(
        "the shop already exists ({books} books, {customers} customers, {checkouts} checkouts): init only creates \
         a shop, since stocking a live one over again would give back spent money and points and put sold \
         copies back on the shelf"
    )]
    Exists { books: usize, customers: usize, checkouts: usize },
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("cannot stock the new shop: {0}")]
    Admin(#[from] AdminError),
}

impl Catalog {
    pub fn read(path: &Path) -> Result<Catalog, CatalogError> {
        let text = std::fs::read_to_string(path).map_err(|source| CatalogError::Read { path: path.into(), source })?;
        Catalog::parse(&text, path)
    }

    /// The catalog in `text`, read from `path` (named in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Catalog, CatalogError> {
        let catalog: Catalog = serde_json::from_str(text)
            .map_err(|e| CatalogError::Invalid { path: path.into(), detail: excerpt(&e.to_string()) })?;
        // Stocking adds: a book or customer listed twice would be given twice.
        let twice = |ids: Vec<&str>| {
            let mut seen = std::collections::BTreeSet::new();
            ids.into_iter().find(|id| !seen.insert(*id)).map(str::to_string)
        };
        let book_twice = twice(catalog.books.iter().map(|b| b.id.as_str()).collect());
        let customer_twice = twice(catalog.customers.iter().map(|c| c.id.as_str()).collect());
        if let Some(id) = book_twice.or(customer_twice) {
            return Err(CatalogError::Invalid { path: path.into(), detail: format!("{id} is listed twice") });
        }
        Ok(catalog)
    }

    /// The operations that stock a new shop with this catalog.
    pub fn operations(&self) -> impl Iterator<Item = Operation> + '_ {
        let books = self.books.iter().map(|book| Operation::Restock {
            book: book.id.clone(),
            copies: u64::from(book.stock),
            price: Some(Money::from_minor_units(book.price)),
        });
        let customers = self.customers.iter().map(|customer| Operation::Credit {
            user: customer.id.clone(),
            funds: customer.funds,
            points: customer.points,
        });
        books.chain(customers)
    }

    /// Stocks a new shop at `at_ms`: every book at its stock and price, every customer with funds
    /// and points, each an operation the journal keeps. A shop that has any book, customer or
    /// checkout is refused, unchanged (a live shop is added to by `restock` and `credit`).
    pub async fn apply(&self, shop: &impl ShopAdmin, at_ms: u64) -> Result<(), CatalogError> {
        let balances = shop.balances().await?;
        let customers = balances.funds.keys().chain(balances.points.keys()).collect::<std::collections::BTreeSet<_>>();
        // Accounts first: a live shop has them, and they are cheap to read; checkouts only if not.
        let checkouts =
            if balances.stock.is_empty() && customers.is_empty() { shop.checkouts().await?.len() } else { 0 };
        if !balances.stock.is_empty() || !customers.is_empty() || checkouts > 0 {
            return Err(CatalogError::Exists { books: balances.stock.len(), customers: customers.len(), checkouts });
        }
        for operation in self.operations() {
            shop.apply(at_ms, &operation).await?;
        }
        Ok(())
    }
}
