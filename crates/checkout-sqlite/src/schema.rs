//! The tables, in one database file. Each keyed store is a ledger: `accounts` (what each account
//! has in all, and how much of that keys hold) and `entries` (what each key took and where it
//! stands), told apart by `ledger`. Amounts are stored as SQLite integers, which are signed: every
//! amount here is at most `i64::MAX`, which `to_sql` checks.
//!
//! Every index is one more page a commit writes, so there are only those a checkout's own steps
//! read by. Rows are keyed by checkout where they can be: checkout ids begin with their time, so
//! the rows of the checkouts in flight share a few pages. The journal is kept in checkout order
//! (not in one global order with an index beside it), a row for each save holding the steps it
//! took (`[[at_ms, step, outcome, phase, attempt], ...]`), and the unfinished checkouts' index
//! holds only those. Finding the stock entries of one book (a restock) reads the whole stock ledger.

use rusqlite::Connection;

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS accounts (
    ledger  TEXT NOT NULL,
    account TEXT NOT NULL,
    supply  INTEGER NOT NULL,
    held    INTEGER NOT NULL,
    PRIMARY KEY (ledger, account)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS entries (
    ledger    TEXT NOT NULL,
    key       TEXT NOT NULL,
    account   TEXT NOT NULL,
    rule      TEXT,
    rule_amount INTEGER,
    amount    INTEGER NOT NULL,
    state     TEXT NOT NULL,
    PRIMARY KEY (ledger, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS prices (
    book  TEXT PRIMARY KEY,
    price INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS quotes (
    key   TEXT PRIMARY KEY,
    price INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fences (
    checkout TEXT PRIMARY KEY,
    mark     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS notifications (
    key     TEXT PRIMARY KEY,
    courier TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS orders (
    order_id TEXT PRIMARY KEY,
    body     TEXT NOT NULL,
    checkout TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkouts (
    id       TEXT PRIMARY KEY,
    fence    INTEGER NOT NULL,
    record   TEXT NOT NULL,
    finished INTEGER NOT NULL,
    lease_until INTEGER NOT NULL DEFAULT 0,
    phase    TEXT NOT NULL DEFAULT '',
    since_ms INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS unfinished_checkouts ON checkouts (id) WHERE finished = 0;
CREATE INDEX IF NOT EXISTS checkouts_by_phase ON checkouts (phase, since_ms, id);
CREATE TABLE IF NOT EXISTS courier_requests (
    seq         INTEGER PRIMARY KEY,
    token       TEXT NOT NULL,
    body        TEXT NOT NULL,
    deadline_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS journal (
    checkout TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    steps    TEXT NOT NULL,
    PRIMARY KEY (checkout, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS operations (
    seq  INTEGER PRIMARY KEY,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
";

/// The schema version this code writes; a file written by another version is refused, except
/// the ones before, which [`prepare`] brings up to date.
pub const VERSION: &str = "5";

/// Version 2 had no leases: its checkouts are given a lapsed one, so the first runner to sweep
/// takes over whatever was left unfinished, as a restart resumed it before.
const FROM_2: &str = "
ALTER TABLE checkouts ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
UPDATE meta SET value = '3' WHERE name = 'schema';
";

/// Version 3 had no operator journal: what its accounts have in all (taken or not) is journaled
/// as they were found, one operation per account, so the audit holds them to it from then on.
const FROM_3: &str = "
CREATE TABLE IF NOT EXISTS operations (
    seq  INTEGER PRIMARY KEY,
    body TEXT NOT NULL
);
INSERT INTO operations (body)
    SELECT json_object('at_ms', CAST(strftime('%s', 'now') AS INTEGER) * 1000, 'action', 'restock',
                       'book', account, 'copies', supply)
    FROM accounts WHERE ledger = 'stock' ORDER BY account;
INSERT INTO operations (body)
    SELECT json_object('at_ms', CAST(strftime('%s', 'now') AS INTEGER) * 1000, 'action', 'credit',
                       'user', account,
                       'funds', CASE ledger WHEN 'funds' THEN supply ELSE 0 END,
                       'points', CASE ledger WHEN 'points' THEN supply ELSE 0 END)
    FROM accounts WHERE ledger IN ('funds', 'points') ORDER BY account, ledger;
UPDATE meta SET value = '4' WHERE name = 'schema';
";

/// Version 4 could not list checkouts by phase: each checkout's phase is read from its record,
/// and when it last moved is unknown (0) until its next step.
const FROM_4: &str = "
ALTER TABLE checkouts ADD COLUMN phase TEXT NOT NULL DEFAULT '';
ALTER TABLE checkouts ADD COLUMN since_ms INTEGER NOT NULL DEFAULT 0;
UPDATE checkouts SET phase = json_extract(record, '$.state');
CREATE INDEX IF NOT EXISTS checkouts_by_phase ON checkouts (phase, since_ms, id);
UPDATE meta SET value = '5' WHERE name = 'schema';
";

/// What a database file holds before the shop touches it.
#[derive(Debug, PartialEq, Eq)]
pub enum Contents {
    /// Nothing yet: a new file, or an empty one.
    Empty,
    /// A shop's tables (the `meta` table with its schema row).
    Shop,
    /// Another application's tables, `found` of them, and no shop.
    Foreign { found: usize },
}

/// Reads what the file holds without changing it (no table made, no journal mode set).
pub fn contents(conn: &Connection) -> rusqlite::Result<Contents> {
    let objects: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))?;
    if objects == 0 {
        return Ok(Contents::Empty);
    }
    let has_meta: i64 =
        conn.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'", [], |row| {
            row.get(0)
        })?;
    let is_shop = has_meta == 1
        && conn.query_row("SELECT count(*) FROM meta WHERE name = 'schema'", [], |row| row.get::<_, i64>(0))? == 1;
    Ok(if is_shop {
        Contents::Shop
    } else {
        Contents::Foreign { found: usize::try_from(objects).unwrap_or(usize::MAX) }
    })
}

/// Creates the tables if the file is new, brings a file of an earlier version up to date, and
/// checks the version of any other: the version found, if it is not this code's.
pub fn prepare(conn: &Connection) -> rusqlite::Result<Option<String>> {
    let found: Option<String> = match contents(conn)? {
        Contents::Shop => Some(conn.query_row("SELECT value FROM meta WHERE name = 'schema'", [], |row| row.get(0))?),
        Contents::Empty | Contents::Foreign { .. } => None,
    };
    match found.as_deref() {
        None => {
            conn.execute_batch(SCHEMA)?;
            conn.execute("INSERT OR IGNORE INTO meta (name, value) VALUES ('schema', ?1)", [VERSION])?;
            Ok(None)
        }
        Some("2" | "3" | "4") => {
            // Another process may be bringing the file up to date at the same moment: the
            // version is read again under the write lock, and each step taken once.
            conn.execute_batch("BEGIN IMMEDIATE")?;
            let upgraded = (|| {
                let version = |conn: &Connection| -> rusqlite::Result<String> {
                    conn.query_row("SELECT value FROM meta WHERE name = 'schema'", [], |row| row.get(0))
                };
                if version(conn)? == "2" {
                    conn.execute_batch(FROM_2)?;
                }
                if version(conn)? == "3" {
                    conn.execute_batch(FROM_3)?;
                }
                if version(conn)? == "4" {
                    conn.execute_batch(FROM_4)?;
                }
                conn.execute_batch("COMMIT")
            })();
            if upgraded.is_err() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            upgraded.map(|()| None)
        }
        Some(VERSION) => Ok(None),
        Some(other) => Ok(Some(other.to_string())),
    }
}
