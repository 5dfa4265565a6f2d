//! The keyed commands (reserve, release, redeem, restore, charge, refund, notify): read the slice
//! of the ledger a command touches, run the store rules on it, and write back what
//! changed in one conditional transaction (the crate docs say which conditions, and why).

use aws_sdk_dynamodb::types::{ConditionCheck, Put, TransactWriteItem, Update};
use checkout_domain::fencing::{Fence, FenceBook};
use checkout_domain::ledger::{Entry, EntryState, Ledger, TakeRule};
use checkout_domain::protocol::CallError;
use checkout_domain::stores::{Inventory, Store, Stores};
use checkout_domain::{BookId, CheckoutId, Command, EffectKey, Event, Money, UserId};
use checkout_ports::{KeyedStores, NotAStoreCommand, PortError};

use crate::items::{n, s, signed, Corrupt, Item, Reader};
use crate::transact::{self, pause, Written, ROUNDS};
use crate::AwsShop;

/// The ledger a store keeps, as its items name it.
fn ledger_name(store: Store) -> &'static str {
    match store {
        Store::Inventory => "stock",
        Store::Points => "points",
        Store::Wallets => "funds",
    }
}

pub fn account_pk(ledger: &str, account: &str) -> String {
    format!("account#{ledger}#{account}")
}

pub fn entry_pk(ledger: &str, key: &EffectKey) -> String {
    format!("entry#{ledger}#{key}")
}

pub fn fence_pk(checkout: &CheckoutId) -> String {
    format!("fence#{checkout}")
}

pub fn notice_pk(key: &EffectKey) -> String {
    format!("notice#{key}")
}

/// An account as read: its item's key, the account id, and its balance, what keys hold of it,
/// and its price (books), or nothing if it does not exist.
#[derive(Clone, Debug)]
struct AccountRead {
    pk: String,
    id: String,
    found: Option<(u64, u64, Option<u64>)>,
}

/// The slice one command reads.
#[derive(Clone, Debug)]
struct Slice {
    mark: Option<u64>,
    entry: Option<(Entry<String>, Option<u64>)>,
    accounts: Vec<AccountRead>,
}

fn state_name(state: EntryState) -> &'static str {
    match state {
        EntryState::Taken => "taken",
        EntryState::Returned => "returned",
        EntryState::Withdrawn => "withdrawn",
    }
}

fn read_entry(pk: &str, item: &Item) -> Result<(Entry<String>, Option<u64>), Corrupt> {
    let r = Reader::new(pk, item);
    let rule = match (r.opt_s("rule")?, r.opt_n("rule_amount")?) {
        (Some("exactly"), Some(n)) => Some(TakeRule::Exactly(n)),
        (Some("up-to"), Some(n)) => Some(TakeRule::UpTo(n)),
        (None, None) => None,
        other => return Err(r.corrupt(format!("rule {other:?}"))),
    };
    let state = match r.s("state")? {
        "taken" => EntryState::Taken,
        "returned" => EntryState::Returned,
        "withdrawn" => EntryState::Withdrawn,
        other => return Err(r.corrupt(format!("state {other:?}"))),
    };
    let entry = Entry { account: r.s("account")?.to_string(), rule, amount: r.n("amount")?, state };
    Ok((entry, r.opt_n("quote")?))
}

fn read_account(pk: String, id: String, item: Option<&Item>) -> Result<AccountRead, Corrupt> {
    let found = match item {
        None => None,
        Some(item) => {
            let r = Reader::new(&pk, item);
            Some((r.n("balance")?, r.n("held")?, r.opt_n("price")?))
        }
    };
    Ok(AccountRead { pk, id, found })
}

/// The item of an effect record.
fn entry_item(pk: &str, ledger: &str, key: &EffectKey, entry: &Entry<String>, quote: Option<u64>) -> Item {
    let mut item = Item::from([
        ("pk".to_string(), s(pk)),
        ("ledger".to_string(), s(ledger)),
        ("checkout".to_string(), s(key.checkout().as_str())),
        ("account".to_string(), s(entry.account.clone())),
        ("amount".to_string(), n(entry.amount)),
        ("state".to_string(), s(state_name(entry.state))),
    ]);
    match entry.rule {
        Some(TakeRule::Exactly(amount)) => {
            item.insert("rule".into(), s("exactly"));
            item.insert("rule_amount".into(), n(amount));
        }
        Some(TakeRule::UpTo(amount)) => {
            item.insert("rule".into(), s("up-to"));
            item.insert("rule_amount".into(), n(amount));
        }
        None => {}
    }
    if let Some(quote) = quote {
        item.insert("quote".into(), n(quote));
    }
    item
}

/// A storage failure of a keyed call: the effect may or may not have been written.
fn unknown(what: impl std::fmt::Display) -> PortError {
    PortError::Call(CallError::Unknown(what.to_string()))
}

fn built<T>(result: Result<T, aws_sdk_dynamodb::error::BuildError>) -> Result<T, PortError> {
    result.map_err(|e| PortError::Call(CallError::NotDone(format!("a request could not be built: {e}"))))
}

impl AwsShop {
    /// Performs a keyed command for the incarnation holding `fence`, and returns its event.
    pub(crate) async fn keyed(&self, fence: Fence, command: &Command, now_ms: u64) -> Result<Event, PortError> {
        let key = command.key().ok_or_else(|| NotAStoreCommand(command.name()))?.clone();
        for round in 0..ROUNDS {
            pause(round).await;
            let slice = self.read_slice(command, &key).await?;
            match self.decide_and_write(fence, command, &key, slice, now_ms).await? {
                (event, Written::Done) => return Ok(event),
                (_, Written::Lost) => continue,
            }
        }
        Err(PortError::Call(CallError::NotDone(format!(
            "{key}: every one of {ROUNDS} attempts lost a race for the same items"
        ))))
    }

    /// Reads the fence mark, the effect record and the accounts `command` touches.
    async fn read_slice(&self, command: &Command, key: &EffectKey) -> Result<Slice, PortError> {
        let table = self.names.ledger_table();
        let store = Store::for_command(command);
        let mut pks = vec![fence_pk(key.checkout())];
        let mut account_ids = Vec::new();
        if let Some(store) = store {
            let ledger = ledger_name(store);
            pks.push(entry_pk(ledger, key));
            let account = account_of(command);
            pks.push(account_pk(ledger, account));
            account_ids.push(account.to_string());
        }
        let mut items = self.get_items(&table, &pks).await?;
        let mark = match &items[0] {
            Some(item) => Some(Reader::new(&pks[0], item).n("mark").map_err(unknown)?),
            None => None,
        };
        let Some(store) = store else { return Ok(Slice { mark, entry: None, accounts: Vec::new() }) };
        let ledger = ledger_name(store);
        let entry = match &items[1] {
            Some(item) => Some(read_entry(&pks[1], item).map_err(unknown)?),
            None => None,
        };
        let mut accounts =
            vec![read_account(pks[2].clone(), account_ids[0].clone(), items[2].as_ref()).map_err(unknown)?];
        // A key reused for another account gives back to the account it took from.
        if let Some((entry, _)) = &entry {
            if entry.account != account_ids[0] {
                let pk = account_pk(ledger, &entry.account);
                items = self.get_items(&table, std::slice::from_ref(&pk)).await?;
                accounts.push(read_account(pk, entry.account.clone(), items[0].as_ref()).map_err(unknown)?);
            }
        }
        Ok(Slice { mark, entry, accounts })
    }

    /// Reads items of the ledger table by key, as of one moment.
    async fn get_items(&self, table: &str, pks: &[String]) -> Result<Vec<Option<Item>>, PortError> {
        let keys = pks.iter().map(|pk| (table.to_string(), Item::from([("pk".to_string(), s(pk.clone()))]))).collect();
        transact::read(&self.dynamodb, keys).await.map_err(|e| PortError::Call(e.into()))
    }

    /// Runs the stores' own code on `slice`, then writes what changed under conditions that hold
    /// exactly when the slice still says what the decision read.
    async fn decide_and_write(
        &self,
        fence: Fence,
        command: &Command,
        key: &EffectKey,
        slice: Slice,
        now_ms: u64,
    ) -> Result<(Event, Written), PortError> {
        let checkout = key.checkout();
        let mut stores = Stores {
            fences: FenceBook::restore(slice.mark.map(|m| (checkout.clone(), Fence::from_stored(m)))),
            ..Stores::default()
        };
        let store = Store::for_command(command);
        let ledger = store.map(ledger_name).unwrap_or("none");
        match store {
            Some(Store::Inventory) => {
                let prices = slice
                    .accounts
                    .iter()
                    .filter_map(|a| Some((a.id.as_str(), a.found?.2?)))
                    .map(|(book, price)| Ok((BookId::parse(book)?, Money::from_minor_units(price))))
                    .collect::<Result<Vec<_>, PortError>>()?;
                let quotes =
                    slice.entry.iter().filter_map(|(_, quote)| Some((key.clone(), Money::from_minor_units((*quote)?))));
                stores.inventory = Inventory::restore(restore_ledger(&slice, key)?, prices, quotes);
            }
            Some(Store::Points) => stores.points = restore_ledger(&slice, key)?,
            Some(Store::Wallets) => stores.wallets = restore_ledger(&slice, key)?,
            None => {}
        }
        let event = match stores.perform(fence, command, now_ms) {
            Ok(event) => event,
            Err(superseded) => return Err(PortError::Superseded(superseded)),
        };
        let event = match (event, command) {
            (Some(event), _) => event,
            (None, Command::NotifyCourier { .. }) => Event::CourierNotified,
            (None, _) => return Err(NotAStoreCommand(command.name()).into()),
        };

        let table = self.names.ledger_table();
        let mut writes = Vec::new();
        let fence_update = Update::builder()
            .table_name(&table)
            .key("pk", s(fence_pk(checkout)))
            .update_expression("SET mark = :fence")
            .condition_expression("attribute_not_exists(mark) OR mark <= :fence")
            .expression_attribute_values(":fence", n(fence.get()));
        writes.push(TransactWriteItem::builder().update(built(fence_update.build())?).build());

        if let Some(store) = store {
            let pk = entry_pk(ledger, key);
            let before = slice.entry.as_ref().map(|(entry, _)| entry);
            let after = entry_after(&stores, store, key);
            let (condition, values) = match before {
                None => ("attribute_not_exists(pk)", None),
                Some(entry) => ("#state = :state", Some(s(state_name(entry.state)))),
            };
            if after.as_ref() != before {
                let after = after.as_ref().ok_or_else(|| unknown("an effect record vanished"))?;
                let quote = match (&event, before) {
                    (Event::StockReserved(reservation), None) => Some(reservation.unit_price.minor_units()),
                    _ => slice.entry.as_ref().and_then(|(_, quote)| *quote),
                };
                let mut put = Put::builder()
                    .table_name(&table)
                    .set_item(Some(entry_item(&pk, ledger, key, after, quote)))
                    .condition_expression(condition);
                if let Some(state) = values {
                    put =
                        put.expression_attribute_names("#state", "state").expression_attribute_values(":state", state);
                }
                writes.push(TransactWriteItem::builder().put(built(put.build())?).build());
            } else {
                let mut check =
                    ConditionCheck::builder().table_name(&table).key("pk", s(pk)).condition_expression(condition);
                if let Some(state) = values {
                    check = check
                        .expression_attribute_names("#state", "state")
                        .expression_attribute_values(":state", state);
                }
                writes.push(TransactWriteItem::builder().condition_check(built(check.build())?).build());
            }

            let fresh_take = before.is_none() && is_take(command);
            let satisfied = match after.as_ref().and_then(|e| e.rule.map(|rule| (rule, e.amount))) {
                Some((TakeRule::Exactly(asked) | TakeRule::UpTo(asked), amount)) => amount == asked,
                None => false,
            };
            for account in &slice.accounts {
                let held_after = held_of(&stores, store, &account.id);
                let Some((balance, held_before, _)) = account.found else {
                    if fresh_take {
                        let check = ConditionCheck::builder()
                            .table_name(&table)
                            .key("pk", s(account.pk.clone()))
                            .condition_expression("attribute_not_exists(pk)");
                        writes.push(TransactWriteItem::builder().condition_check(built(check.build())?).build());
                    }
                    continue;
                };
                let delta = i128::from(held_after.unwrap_or(held_before)) - i128::from(held_before);
                if delta == 0 {
                    if fresh_take {
                        let check = ConditionCheck::builder()
                            .table_name(&table)
                            .key("pk", s(account.pk.clone()))
                            .condition_expression("balance = :balance")
                            .expression_attribute_values(":balance", n(balance));
                        writes.push(TransactWriteItem::builder().condition_check(built(check.build())?).build());
                    }
                    continue;
                }
                let mut update = Update::builder()
                    .table_name(&table)
                    .key("pk", s(account.pk.clone()))
                    .update_expression("ADD balance :give, held :take")
                    .expression_attribute_values(":give", signed(-delta))
                    .expression_attribute_values(":take", signed(delta));
                update = if delta > 0 && satisfied {
                    update.condition_expression("balance >= :take")
                } else if delta > 0 {
                    update
                        .condition_expression("balance = :balance")
                        .expression_attribute_values(":balance", n(balance))
                } else {
                    update.condition_expression("held >= :back").expression_attribute_values(":back", signed(-delta))
                };
                writes.push(TransactWriteItem::builder().update(built(update.build())?).build());
            }
        }
        if let Command::NotifyCourier { key, courier, order } = command {
            let put = Put::builder()
                .table_name(&table)
                .item("pk", s(notice_pk(key)))
                .item("courier", s(courier.as_str()))
                .item("order", s(order.id().as_str()));
            writes.push(TransactWriteItem::builder().put(built(put.build())?).build());
        }
        let written = transact::write(&self.dynamodb, writes).await.map_err(|e| PortError::Call(e.into()))?;
        Ok((event, written))
    }
}

/// The account a keyed store command names.
fn account_of(command: &Command) -> &str {
    match command {
        Command::ReserveStock { book, .. } | Command::ReleaseStock { book, .. } => book.as_str(),
        Command::RedeemPoints { user, .. }
        | Command::RestorePoints { user, .. }
        | Command::Charge { user, .. }
        | Command::Refund { user, .. } => user.as_str(),
        Command::NotifyCourier { .. } | Command::RequestCourier { .. } => "",
    }
}

fn is_take(command: &Command) -> bool {
    matches!(command, Command::ReserveStock { .. } | Command::RedeemPoints { .. } | Command::Charge { .. })
}

/// The effect record of `key` after the stores ran, with account names as text.
fn entry_after(stores: &Stores, store: Store, key: &EffectKey) -> Option<Entry<String>> {
    match store {
        Store::Inventory => stores.inventory.stock.entry(key).map(relabel_entry),
        Store::Points => stores.points.entry(key).map(relabel_entry),
        Store::Wallets => stores.wallets.entry(key).map(relabel_entry),
    }
}

/// What keys hold of `account` after the stores ran.
fn held_of(stores: &Stores, store: Store, account: &str) -> Option<u64> {
    match store {
        Store::Inventory => stores.inventory.stock.account(&BookId::new(account).ok()?).map(|a| a.1),
        Store::Points => stores.points.account(&UserId::new(account).ok()?).map(|a| a.1),
        Store::Wallets => stores.wallets.account(&UserId::new(account).ok()?).map(|a| a.1),
    }
}

/// An account id as the ledger items hold it (text) and as the domain does.
trait AccountId: Ord + Clone {
    fn parse(text: &str) -> Result<Self, PortError>;
    fn text(&self) -> &str;
}

impl AccountId for BookId {
    fn parse(text: &str) -> Result<BookId, PortError> {
        BookId::new(text).map_err(|e| unknown(format!("corrupt book id {text:?}: {e}")))
    }
    fn text(&self) -> &str {
        self.as_str()
    }
}

impl AccountId for UserId {
    fn parse(text: &str) -> Result<UserId, PortError> {
        UserId::new(text).map_err(|e| unknown(format!("corrupt user id {text:?}: {e}")))
    }
    fn text(&self) -> &str {
        self.as_str()
    }
}

/// The slice's accounts and effect record as the domain's ledger.
fn restore_ledger<A: AccountId>(slice: &Slice, key: &EffectKey) -> Result<Ledger<A>, PortError> {
    let mut accounts = Vec::new();
    for account in &slice.accounts {
        if let Some((balance, held, _)) = account.found {
            let supply = balance.checked_add(held).ok_or_else(|| unknown(format!("{} overflows", account.pk)))?;
            accounts.push((A::parse(&account.id)?, supply, held));
        }
    }
    let mut entries = Vec::new();
    if let Some((entry, _)) = &slice.entry {
        let entry =
            Entry { account: A::parse(&entry.account)?, rule: entry.rule, amount: entry.amount, state: entry.state };
        entries.push((key.clone(), entry));
    }
    Ledger::restore(accounts, entries).map_err(|e| unknown(format!("corrupt ledger at {}: {e}", slice.accounts[0].pk)))
}

fn relabel_entry<A: AccountId>(entry: &Entry<A>) -> Entry<String> {
    Entry { account: entry.account.text().to_string(), rule: entry.rule, amount: entry.amount, state: entry.state }
}

#[async_trait::async_trait]
impl KeyedStores for AwsShop {
    async fn perform(&self, fence: Fence, command: &Command, now_ms: u64) -> Result<Event, PortError> {
        NotAStoreCommand::check(command)?;
        self.keyed(fence, command, now_ms).await
    }
}

#[cfg(test)]
mod tests {
    //! The race the conformance suite cannot stage from outside: an incarnation reads, a newer one
    //! acts for the same checkout, then the older one writes what it decided.

    use checkout_domain::fencing::Superseded;
    use checkout_domain::{Effect, Quantity};
    use checkout_ports::ShopAdmin;

    use super::*;
    use crate::moto::MotoServer;

    #[tokio::test]
    async fn a_decision_read_before_a_newer_incarnation_acted_is_not_written() {
        let shop = MotoServer::shared().fresh_shop().await.unwrap();
        let book = BookId::new("b-1").unwrap();
        shop.stock_book(&book, 2, Money::from_minor_units(700)).await.unwrap();
        let checkout = CheckoutId::new("ck-1").unwrap();
        let reserve = Command::ReserveStock {
            key: EffectKey::new(&checkout, Effect::ReserveStock),
            book: book.clone(),
            quantity: Quantity::new(1).unwrap(),
        };
        let key = reserve.key().unwrap().clone();

        let read_by_the_old = shop.read_slice(&reserve, &key).await.unwrap();
        // Meanwhile a newer incarnation acts for the checkout (another of its keys).
        let charge = EffectKey::new(&checkout, Effect::Charge);
        let user = UserId::new("u-1").unwrap();
        shop.open_customer(&user, 100, 0).await.unwrap();
        let refund = Command::Refund { key: charge, user, amount: Money::from_minor_units(700) };
        assert!(matches!(shop.keyed(Fence::from_stored(2), &refund, 0).await, Ok(Event::Refunded(_))));

        let (_, written) = shop.decide_and_write(Fence::FIRST, &reserve, &key, read_by_the_old, 0).await.unwrap();
        assert!(matches!(written, Written::Lost), "the old incarnation's take must not be written");
        assert_eq!(shop.balances().await.unwrap().stock[&book], 2, "nothing taken");
        let again = shop.keyed(Fence::FIRST, &reserve, 0).await;
        assert_eq!(again, Err(PortError::Superseded(Superseded { held: 1, current: 2 })));
    }
}
