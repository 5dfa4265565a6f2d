//! Adding to the shop's supply (operations, journaled in the same transaction) and reading it
//! back, for `checkout init`, `restock`, `credit` and `audit`.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use checkout_domain::operation::{Operation, Recorded};
use checkout_domain::{BookId, CheckoutId, CheckoutState, Effect, EffectKey};
use checkout_ports::{AdminError, Balances, Held, ShopAdmin, StorageError};

use crate::items::{n, s, Item, Reader};
use crate::keyed::{account_pk, entry_pk};
use crate::transact::{pause, Written, ROUNDS};
use crate::AwsShop;

fn storage(e: impl std::fmt::Display) -> StorageError {
    StorageError::Failed(e.to_string())
}

/// An operation's journal item: the ledger table's `operation#` items, in the order applied
/// (by time, a random tail keeping two at one millisecond apart).
fn operation_pk(at_ms: u64) -> String {
    format!("operation#{at_ms:020}#{:016x}", fastrand::u64(..))
}

fn built<T>(result: Result<T, aws_sdk_dynamodb::error::BuildError>) -> Result<T, StorageError> {
    result.map_err(|e| storage(format!("a request could not be built: {e}")))
}

impl AwsShop {
    /// Every item of the ledger table whose key starts with `prefix`.
    async fn scan_ledger(&self, prefix: &str) -> Result<Vec<Item>, StorageError> {
        let scan = self
            .dynamodb
            .scan()
            .table_name(self.names.ledger_table())
            .filter_expression("begins_with(pk, :prefix)")
            .expression_attribute_values(":prefix", s(prefix));
        Ok(crate::transact::scan_all(scan).await?)
    }
}

#[async_trait]
impl ShopAdmin for AwsShop {
    /// Reads the accounts the operation adds to, checks it, and writes each account as the
    /// domain's check saw it plus what is added, together with the journal item, in one
    /// transaction that holds only if no account changed since it was read (else read again).
    async fn apply(&self, at_ms: u64, operation: &Operation) -> Result<(), AdminError> {
        let table = self.names.ledger_table();
        let deposits = operation.deposits();
        let pks: Vec<String> = deposits.iter().map(|(ledger, account, _)| account_pk(ledger, account)).collect();
        let journal = Item::from([
            ("pk".to_string(), s(operation_pk(at_ms))),
            ("body".to_string(), s(Recorded { at_ms, operation: operation.clone() }.to_json())),
        ]);
        for round in 0..ROUNDS {
            pause(round).await;
            let keys = pks.iter().map(|pk| (table.clone(), Item::from([("pk".to_string(), s(pk.clone()))]))).collect();
            let items = crate::transact::read(&self.dynamodb, keys).await.map_err(StorageError::from)?;
            // (balance, held, price) of each account, if it is open.
            let mut found = Vec::new();
            for (pk, item) in pks.iter().zip(&items) {
                found.push(match item {
                    None => None,
                    Some(item) => {
                        let r = Reader::new(pk, item);
                        Some((
                            r.n("balance").map_err(storage)?,
                            r.n("held").map_err(storage)?,
                            r.opt_n("price").map_err(storage)?,
                        ))
                    }
                });
            }
            let supply = |ledger: &str, account: &str| {
                let at = deposits.iter().position(|(l, a, _)| *l == ledger && *a == account)?;
                found[at].map(|(balance, held, _)| balance.saturating_add(held))
            };
            // A restock's one account is its book's.
            let priced = |_: &BookId| found.first().copied().flatten().is_some_and(|(_, _, price)| price.is_some());
            operation.check(supply, priced)?;
            let price = match operation {
                Operation::Restock { price, .. } => *price,
                Operation::Credit { .. } => None,
            };
            let mut writes = Vec::new();
            for ((pk, (_, _, amount)), seen) in pks.iter().zip(&deposits).zip(&found) {
                let (balance, held) = seen.map_or((0, 0), |(balance, held, _)| (balance, held));
                let mut update = Update::builder()
                    .table_name(&table)
                    .key("pk", s(pk.clone()))
                    .expression_attribute_values(":balance", n(balance + amount))
                    .expression_attribute_values(":held", n(held));
                update = match seen {
                    None => update.condition_expression("attribute_not_exists(pk)"),
                    Some(_) => update
                        .condition_expression("balance = :seen AND held = :held")
                        .expression_attribute_values(":seen", n(balance)),
                };
                update = match price {
                    Some(price) => update
                        .update_expression("SET balance = :balance, held = :held, price = :price")
                        .expression_attribute_values(":price", n(price.minor_units())),
                    None => update.update_expression("SET balance = :balance, held = :held"),
                };
                writes.push(TransactWriteItem::builder().update(built(update.build())?).build());
            }
            let put = Put::builder()
                .table_name(&table)
                .set_item(Some(journal.clone()))
                .condition_expression("attribute_not_exists(pk)");
            writes.push(TransactWriteItem::builder().put(built(put.build())?).build());
            match crate::transact::write(&self.dynamodb, writes).await.map_err(StorageError::from)? {
                Written::Done => return Ok(()),
                Written::Lost => continue,
            }
        }
        Err(storage(format!("the accounts kept changing under the operation: not done after {ROUNDS} rounds")).into())
    }

    async fn operations(&self) -> Result<Vec<Recorded>, StorageError> {
        let mut items = self.scan_ledger("operation#").await?;
        let pk = |item: &Item| item.get("pk").and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
        items.sort_by_key(pk);
        items
            .iter()
            .map(|item| {
                let body = Reader::new("operation", item).s("body").map_err(storage)?;
                Recorded::from_json(body).map_err(|e| storage(format!("corrupt operation {}: {e}", pk(item))))
            })
            .collect()
    }

    async fn balances(&self) -> Result<Balances, StorageError> {
        let mut balances = Balances::default();
        for item in self.scan_ledger("account#").await? {
            let pk = Reader::new("account", &item).s("pk").map_err(storage)?.to_string();
            let r = Reader::new(&pk, &item);
            let (balance, held) = (r.n("balance").map_err(storage)?, r.n("held").map_err(storage)?);
            let mut parts = pk.splitn(3, '#').skip(1);
            let (ledger, id) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
            balances.add(ledger, id, balance, held).map_err(|e| StorageError::Corrupt(format!("item {pk}: {e}")))?;
        }
        Ok(balances)
    }

    async fn held(&self, id: &CheckoutId) -> Result<Held, StorageError> {
        let keys = [("stock", Effect::ReserveStock), ("points", Effect::RedeemPoints), ("funds", Effect::Charge)];
        let pks: Vec<String> =
            keys.iter().map(|(ledger, effect)| entry_pk(ledger, &EffectKey::new(id, *effect))).collect();
        let table = self.names.ledger_table();
        let reads = pks.iter().map(|pk| (table.clone(), Item::from([("pk".to_string(), s(pk.clone()))]))).collect();
        let items = crate::transact::read(&self.dynamodb, reads).await?;
        let mut amounts = [0u64; 3];
        for ((amount, pk), item) in amounts.iter_mut().zip(&pks).zip(&items) {
            if let Some(item) = item {
                let r = Reader::new(pk, item);
                if r.s("state").map_err(storage)? == "taken" {
                    *amount = r.n("amount").map_err(storage)?;
                }
            }
        }
        Ok(Held { stock: amounts[0], points: amounts[1], money: amounts[2] })
    }

    /// One scan of the effect records, not a read per checkout.
    async fn held_by_checkout(&self) -> Result<BTreeMap<CheckoutId, Held>, StorageError> {
        let mut held = BTreeMap::<CheckoutId, Held>::new();
        for item in self.scan_ledger("entry#").await? {
            let pk = Reader::new("entry", &item).s("pk").map_err(storage)?.to_string();
            let r = Reader::new(&pk, &item);
            if r.s("state").map_err(storage)? != "taken" {
                continue;
            }
            let mut parts = pk.splitn(3, '#').skip(1);
            let (ledger, key) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
            let key = key.parse::<EffectKey>().map_err(|e| storage(format!("corrupt item {pk}: {e}")))?;
            let amount = r.n("amount").map_err(storage)?;
            let of = held.entry(key.checkout().clone()).or_default();
            of.add(ledger, &key, amount).map_err(|e| storage(format!("corrupt item {pk}: {e}")))?;
        }
        Ok(held)
    }

    async fn checkouts(&self) -> Result<Vec<CheckoutState>, StorageError> {
        let mut checkouts = Vec::new();
        for item in self.scan_records().await? {
            let r = Reader::new("record", &item);
            let record = r.s("record").map_err(storage)?;
            checkouts.push(CheckoutState::from_json(record).map_err(|e| storage(format!("corrupt checkout: {e}")))?);
        }
        checkouts.sort_by(|a, b| a.id().cmp(b.id()));
        Ok(checkouts)
    }
}
