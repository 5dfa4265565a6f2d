//! Stocking the shop and reading it back, for `checkout init` and `checkout audit`.

use async_trait::async_trait;
use checkout_domain::{BookId, CheckoutId, CheckoutState, Effect, EffectKey, Money, UserId};
use checkout_ports::{Balances, Held, ShopAdmin, StorageError};

use crate::failure::classify;
use crate::items::{n, s, Item, Reader};
use crate::keyed::{account_pk, entry_pk};
use crate::AwsShop;

fn storage(e: impl std::fmt::Display) -> StorageError {
    StorageError(e.to_string())
}

impl AwsShop {
    /// Sets an account's balance (what can be taken), leaving what keys hold of it, and its price.
    async fn set_account(
        &self,
        ledger: &str,
        id: &str,
        balance: u64,
        price: Option<Money>,
    ) -> Result<(), StorageError> {
        let mut update = self
            .dynamodb
            .update_item()
            .table_name(self.names.ledger_table())
            .key("pk", s(account_pk(ledger, id)))
            .expression_attribute_values(":balance", n(balance))
            .expression_attribute_values(":zero", n(0));
        update = match price {
            Some(price) => update
                .update_expression("SET balance = :balance, held = if_not_exists(held, :zero), price = :price")
                .expression_attribute_values(":price", n(price.minor_units())),
            None => update.update_expression("SET balance = :balance, held = if_not_exists(held, :zero)"),
        };
        update.send().await.map(|_| ()).map_err(|e| StorageError::from(classify(&e)))
    }

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
    async fn stock_book(&self, book: &BookId, copies: u32, unit_price: Money) -> Result<(), StorageError> {
        self.set_account("stock", book.as_str(), u64::from(copies), Some(unit_price)).await
    }

    async fn open_customer(&self, user: &UserId, funds: u64, points: u64) -> Result<(), StorageError> {
        self.set_account("funds", user.as_str(), funds, None).await?;
        self.set_account("points", user.as_str(), points, None).await
    }

    async fn balances(&self) -> Result<Balances, StorageError> {
        let mut balances = Balances::default();
        for item in self.scan_ledger("account#").await? {
            let pk = Reader::new("account", &item).s("pk").map_err(storage)?.to_string();
            let r = Reader::new(&pk, &item);
            let (balance, held) = (r.n("balance").map_err(storage)?, r.n("held").map_err(storage)?);
            let mut parts = pk.splitn(3, '#').skip(1);
            let (ledger, id) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
            balances.add(ledger, id, balance, held).map_err(|e| StorageError(format!("corrupt item {pk}: {e}")))?;
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
