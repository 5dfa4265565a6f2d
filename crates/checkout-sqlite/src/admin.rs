//! Adding to the shop's supply (operations, journaled in the same transaction) and reading the
//! accounts back, for `checkout init`, `restock`, `credit` and `audit`.

use std::collections::BTreeMap;

use async_trait::async_trait;
use checkout_domain::operation::{Operation, Recorded};
use checkout_domain::stores::Stores;
use checkout_domain::{CheckoutId, CheckoutState, Effect, EffectKey};
use checkout_ports::{AdminError, Balances, Held, ShopAdmin, StorageError};
use rusqlite::{params, OptionalExtension};

use crate::ports::load_checkout;
use crate::slices::{corrupt, load_inventory, load_ledger, store_inventory, store_ledger, takes_of_book, uint};
use crate::statements::Cached;
use crate::SqliteShop;

#[async_trait]
impl ShopAdmin for SqliteShop {
    async fn apply(&self, at_ms: u64, operation: &Operation) -> Result<(), AdminError> {
        let operation = operation.clone();
        let applied = self
            .writer
            .run(move |conn| {
                // The slices the operation adds to, the stores' own rules, and the slices back.
                let mut stores = Stores::default();
                match &operation {
                    Operation::Restock { book, .. } => {
                        let takes = takes_of_book(conn, book)?;
                        stores.inventory = load_inventory(conn, std::slice::from_ref(book), &takes)?;
                    }
                    Operation::Credit { user, .. } => {
                        stores.wallets = load_ledger(conn, "funds", std::slice::from_ref(user), &[])?;
                        stores.points = load_ledger(conn, "points", std::slice::from_ref(user), &[])?;
                    }
                }
                if let Err(refused) = stores.apply(&operation) {
                    return Ok(Err(refused));
                }
                match &operation {
                    Operation::Restock { .. } => store_inventory(conn, &stores.inventory)?,
                    Operation::Credit { .. } => {
                        store_ledger(conn, "funds", &stores.wallets)?;
                        store_ledger(conn, "points", &stores.points)?;
                    }
                }
                let recorded = Recorded { at_ms, operation };
                conn.execute_cached("INSERT INTO operations (body) VALUES (?1)", [recorded.to_json()])?;
                Ok(Ok(()))
            })
            .await?;
        Ok(applied?)
    }

    async fn operations(&self) -> Result<Vec<Recorded>, StorageError> {
        self.readers
            .run(|conn| {
                let mut statement = conn.prepare_cached("SELECT body FROM operations ORDER BY seq")?;
                let bodies = statement.query_map([], |row| row.get::<_, String>(0))?;
                bodies
                    .map(|body| Recorded::from_json(&body?).map_err(|e| corrupt(format!("an operation: {e}"))))
                    .collect()
            })
            .await
    }

    async fn balances(&self) -> Result<Balances, StorageError> {
        self.readers
            .run(|conn| {
                let mut balances = Balances::default();
                let mut statement = conn.prepare_cached("SELECT ledger, account, supply, held FROM accounts")?;
                let rows = statement.query_map([], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, i64>(2)?,
                        row.get::<_, i64>(3)?,
                    ))
                })?;
                for row in rows {
                    let (ledger, account, supply, held) = row?;
                    let (supply, held) = (uint(supply)?, uint(held)?);
                    let balance =
                        supply.checked_sub(held).ok_or_else(|| corrupt(format!("{account} holds more than it has")))?;
                    balances.add(&ledger, &account, balance, held).map_err(|e| corrupt(e.to_string()))?;
                }
                Ok(balances)
            })
            .await
    }

    async fn held(&self, id: &CheckoutId) -> Result<Held, StorageError> {
        let id = id.clone();
        self.readers
            .run(move |conn| {
                let held = |ledger: &str, effect| -> rusqlite::Result<u64> {
                    let amount: Option<i64> = conn
                        .query_row_cached(
                            "SELECT amount FROM entries WHERE ledger = ?1 AND key = ?2 AND state = 'taken'",
                            params![ledger, EffectKey::new(&id, effect).to_string()],
                            |row| row.get(0),
                        )
                        .optional()?;
                    amount.map_or(Ok(0), uint)
                };
                Ok(Held {
                    stock: held("stock", Effect::ReserveStock)?,
                    points: held("points", Effect::RedeemPoints)?,
                    money: held("funds", Effect::Charge)?,
                })
            })
            .await
    }

    async fn held_by_checkout(&self) -> Result<BTreeMap<CheckoutId, Held>, StorageError> {
        self.readers
            .run(|conn| {
                let mut statement =
                    conn.prepare_cached("SELECT ledger, key, amount FROM entries WHERE state = 'taken'")?;
                let rows = statement.query_map([], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, i64>(2)?))
                })?;
                let mut held = BTreeMap::<CheckoutId, Held>::new();
                for row in rows {
                    let (ledger, key, amount) = row?;
                    let key = key.parse::<EffectKey>().map_err(|e| corrupt(e.to_string()))?;
                    held.entry(key.checkout().clone())
                        .or_default()
                        .add(&ledger, &key, uint(amount)?)
                        .map_err(|e| corrupt(e.to_string()))?;
                }
                Ok(held)
            })
            .await
    }

    async fn checkouts(&self) -> Result<Vec<CheckoutState>, StorageError> {
        self.readers
            .run(|conn| {
                let mut statement = conn.prepare_cached("SELECT record FROM checkouts ORDER BY id")?;
                let records = statement.query_map([], |row| row.get::<_, String>(0))?;
                records.map(|record| load_checkout(&record?)).collect()
            })
            .await
    }
}
