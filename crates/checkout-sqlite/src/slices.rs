//! Reading the part of the shop one call touches into the domain's own values (a ledger slice, a
//! fence mark, an inventory slice), and writing back what the call changed. The rules themselves
//! are never restated in SQL: every call runs the domain's store rules.

use checkout_domain::fencing::{Fence, FenceBook};
use checkout_domain::ledger::{Entry, EntryState, Ledger, TakeRule};
use checkout_domain::stores::Inventory;
use checkout_domain::{BookId, CheckoutId, EffectKey, Money, UserId};
use rusqlite::{params, Connection, OptionalExtension};

use crate::statements::Cached;

/// Something stored in the file that no code of ours could have written.
pub fn corrupt(what: impl Into<String>) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(format!("corrupt database: {}", what.into()).into())
}

/// An amount as SQLite stores it (a signed integer).
pub fn int(n: u64) -> rusqlite::Result<i64> {
    i64::try_from(n).map_err(|_| corrupt(format!("{n} does not fit in a database integer")))
}

/// An amount read back.
pub fn uint(n: i64) -> rusqlite::Result<u64> {
    u64::try_from(n).map_err(|_| corrupt(format!("negative amount {n}")))
}

/// An account name read back as the id it was written from.
pub trait AccountId: Ord + Clone {
    fn parse(text: String) -> rusqlite::Result<Self>;
    fn text(&self) -> &str;
}

impl AccountId for BookId {
    fn parse(text: String) -> rusqlite::Result<BookId> {
        BookId::new(text).map_err(|e| corrupt(e.to_string()))
    }
    fn text(&self) -> &str {
        self.as_str()
    }
}

impl AccountId for UserId {
    fn parse(text: String) -> rusqlite::Result<UserId> {
        UserId::new(text).map_err(|e| corrupt(e.to_string()))
    }
    fn text(&self) -> &str {
        self.as_str()
    }
}

fn state_name(state: EntryState) -> &'static str {
    match state {
        EntryState::Taken => "taken",
        EntryState::Returned => "returned",
        EntryState::Withdrawn => "withdrawn",
    }
}

fn rule_parts(rule: Option<TakeRule>) -> (Option<&'static str>, Option<u64>) {
    match rule {
        Some(TakeRule::Exactly(n)) => (Some("exactly"), Some(n)),
        Some(TakeRule::UpTo(n)) => (Some("up-to"), Some(n)),
        None => (None, None),
    }
}

fn load_entry<A: AccountId>(conn: &Connection, ledger: &str, key: &EffectKey) -> rusqlite::Result<Option<Entry<A>>> {
    let row = conn
        .query_row_cached(
            "SELECT account, rule, rule_amount, amount, state FROM entries WHERE ledger = ?1 AND key = ?2",
            params![ledger, key.to_string()],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, Option<String>>(1)?,
                    row.get::<_, Option<i64>>(2)?,
                    row.get::<_, i64>(3)?,
                    row.get::<_, String>(4)?,
                ))
            },
        )
        .optional()?;
    let Some((account, rule, rule_amount, amount, state)) = row else { return Ok(None) };
    let rule = match (rule.as_deref(), rule_amount) {
        (Some("exactly"), Some(n)) => Some(TakeRule::Exactly(uint(n)?)),
        (Some("up-to"), Some(n)) => Some(TakeRule::UpTo(uint(n)?)),
        (None, None) => None,
        other => return Err(corrupt(format!("entry {key} has rule {other:?}"))),
    };
    let state = match state.as_str() {
        "taken" => EntryState::Taken,
        "returned" => EntryState::Returned,
        "withdrawn" => EntryState::Withdrawn,
        other => return Err(corrupt(format!("entry {key} is {other:?}"))),
    };
    Ok(Some(Entry { account: A::parse(account)?, rule, amount: uint(amount)?, state }))
}

/// The part of ledger `ledger` that covers `accounts` and `keys` (and the accounts those keys
/// took from).
pub fn load_ledger<A: AccountId>(
    conn: &Connection,
    ledger: &str,
    accounts: &[A],
    keys: &[EffectKey],
) -> rusqlite::Result<Ledger<A>> {
    let mut entries = Vec::new();
    let mut names: Vec<A> = accounts.to_vec();
    for key in keys {
        if let Some(entry) = load_entry::<A>(conn, ledger, key)? {
            names.push(entry.account.clone());
            entries.push((key.clone(), entry));
        }
    }
    names.sort();
    names.dedup();
    let mut rows = Vec::new();
    for name in names {
        let row = conn
            .query_row_cached(
                "SELECT supply, held FROM accounts WHERE ledger = ?1 AND account = ?2",
                params![ledger, name.text()],
                |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?)),
            )
            .optional()?;
        if let Some((supply, held)) = row {
            rows.push((name, uint(supply)?, uint(held)?));
        }
    }
    Ledger::restore(rows, entries).map_err(|e| corrupt(e.to_string()))
}

/// Writes every account and entry of the slice back.
pub fn store_ledger<A: AccountId>(conn: &Connection, ledger: &str, slice: &Ledger<A>) -> rusqlite::Result<()> {
    for (account, _) in slice.accounts() {
        let (supply, held) = slice.account(account).expect("an account the slice lists");
        conn.execute_cached(
            "INSERT INTO accounts (ledger, account, supply, held) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (ledger, account) DO UPDATE SET supply = excluded.supply, held = excluded.held",
            params![ledger, account.text(), int(supply)?, int(held)?],
        )?;
    }
    for (key, entry) in slice.entries() {
        let (rule, rule_amount) = rule_parts(entry.rule);
        let rule_amount = rule_amount.map(int).transpose()?;
        conn.execute_cached(
            "INSERT INTO entries (ledger, key, account, rule, rule_amount, amount, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (ledger, key) DO UPDATE SET account = excluded.account, rule = excluded.rule,
                 rule_amount = excluded.rule_amount, amount = excluded.amount, state = excluded.state",
            params![ledger, key.to_string(), entry.account.text(), rule, rule_amount, int(entry.amount)?, state_name(entry.state)],
        )?;
    }
    Ok(())
}

/// The stock ledger's slice for `books` and `keys`, with the books' prices and the keys' quotes.
pub fn load_inventory(conn: &Connection, books: &[BookId], keys: &[EffectKey]) -> rusqlite::Result<Inventory> {
    let stock = load_ledger(conn, "stock", books, keys)?;
    let mut prices = Vec::new();
    for book in books {
        let price: Option<i64> = conn
            .query_row_cached("SELECT price FROM prices WHERE book = ?1", [book.as_str()], |row| row.get(0))
            .optional()?;
        if let Some(price) = price {
            prices.push((book.clone(), Money::from_minor_units(uint(price)?)));
        }
    }
    let mut quotes = Vec::new();
    for key in keys {
        let quote: Option<i64> = conn
            .query_row_cached("SELECT price FROM quotes WHERE key = ?1", [key.to_string()], |row| row.get(0))
            .optional()?;
        if let Some(quote) = quote {
            quotes.push((key.clone(), Money::from_minor_units(uint(quote)?)));
        }
    }
    Ok(Inventory::restore(stock, prices, quotes))
}

pub fn store_inventory(conn: &Connection, slice: &Inventory) -> rusqlite::Result<()> {
    store_ledger(conn, "stock", &slice.stock)?;
    for (book, price) in slice.prices() {
        conn.execute_cached(
            "INSERT INTO prices (book, price) VALUES (?1, ?2) ON CONFLICT (book) DO UPDATE SET price = excluded.price",
            params![book.as_str(), int(price.minor_units())?],
        )?;
    }
    for (key, price) in slice.quotes() {
        conn.execute_cached(
            "INSERT INTO quotes (key, price) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET price = excluded.price",
            params![key.to_string(), int(price.minor_units())?],
        )?;
    }
    Ok(())
}

/// The keys that took stock of `book`, whose quotes a price change must keep. Reads the whole
/// stock ledger: an index by book would cost every checkout a page per commit, for a restock.
pub fn takes_of_book(conn: &Connection, book: &BookId) -> rusqlite::Result<Vec<EffectKey>> {
    let mut statement =
        conn.prepare_cached("SELECT key FROM entries WHERE ledger = 'stock' AND account = ?1 AND rule IS NOT NULL")?;
    let keys = statement.query_map([book.as_str()], |row| row.get::<_, String>(0))?;
    keys.map(|key| key?.parse::<EffectKey>().map_err(|e| corrupt(e.to_string()))).collect()
}

/// The fence mark of `checkout`, as a fence book of one.
pub fn load_fences(conn: &Connection, checkout: &CheckoutId) -> rusqlite::Result<FenceBook> {
    let mark: Option<i64> = conn
        .query_row_cached("SELECT mark FROM fences WHERE checkout = ?1", [checkout.as_str()], |row| row.get(0))
        .optional()?;
    let mark = mark.map(uint).transpose()?;
    Ok(FenceBook::restore(mark.map(|m| (checkout.clone(), Fence::from_stored(m)))))
}

pub fn store_fence(conn: &Connection, checkout: &CheckoutId, fences: &FenceBook) -> rusqlite::Result<()> {
    if let Some(mark) = fences.mark(checkout) {
        conn.execute_cached(
            "INSERT INTO fences (checkout, mark) VALUES (?1, ?2) ON CONFLICT (checkout) DO UPDATE SET mark = excluded.mark",
            params![checkout.as_str(), int(mark.get())?],
        )?;
    }
    Ok(())
}
