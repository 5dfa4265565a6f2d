//! The ports, each call one job for the writer (see the crate docs).

use async_trait::async_trait;
use checkout_domain::fencing::{Fence, FencesExhausted, Lease, Slot};
use checkout_domain::protocol::CallError;
use checkout_domain::registry::{Admission, OrderRegistry};
use checkout_domain::stores::{Store, Stores};
use checkout_domain::{CheckoutId, CheckoutState, Command, CourierId, EffectKey, Event, Order, OrderId};
use checkout_ports::listing::{Listed, PhaseQuery};
use checkout_ports::{
    AdmitError, CheckoutRepository, CourierInbox, CourierQueue, CourierRequest, Journal, JournalEntry, KeyedStores,
    NotAStoreCommand, Notifier, PortError, SaveError, StorageError,
};
use rusqlite::{params, Connection, OptionalExtension};

use crate::slices::{
    corrupt, int, load_fences, load_inventory, load_ledger, store_fence, store_inventory, store_ledger, uint,
};
use crate::statements::Cached;
use crate::SqliteShop;

/// Runs one keyed command (a store command or the courier notice) in the current transaction:
/// the slice it touches, the store rules, and the changes written back. A superseded fence
/// changes nothing.
fn perform_keyed(
    conn: &Connection,
    fence: Fence,
    command: &Command,
    now_ms: u64,
) -> rusqlite::Result<Result<Event, PortError>> {
    let Some(key) = command.key() else { return Ok(Err(NotAStoreCommand(command.name()).into())) };
    let checkout = key.checkout().clone();
    let mut stores = Stores { fences: load_fences(conn, &checkout)?, ..Stores::default() };
    let keys = [key.clone()];
    match command {
        Command::ReserveStock { book, .. } | Command::ReleaseStock { book, .. } => {
            stores.inventory = load_inventory(conn, std::slice::from_ref(book), &keys)?;
        }
        Command::RedeemPoints { user, .. } | Command::RestorePoints { user, .. } => {
            stores.points = load_ledger(conn, "points", std::slice::from_ref(user), &keys)?;
        }
        Command::Charge { user, .. } | Command::Refund { user, .. } => {
            stores.wallets = load_ledger(conn, "funds", std::slice::from_ref(user), &keys)?;
        }
        Command::NotifyCourier { .. } | Command::RequestCourier { .. } => {}
    }
    let event = match stores.perform(fence, command, now_ms) {
        Ok(event) => event,
        Err(superseded) => return Ok(Err(superseded.into())),
    };
    store_fence(conn, &checkout, &stores.fences)?;
    match Store::for_command(command) {
        Some(Store::Inventory) => store_inventory(conn, &stores.inventory)?,
        Some(Store::Points) => store_ledger(conn, "points", &stores.points)?,
        Some(Store::Wallets) => store_ledger(conn, "funds", &stores.wallets)?,
        None => {}
    }
    if let Command::NotifyCourier { key, courier, .. } = command {
        conn.execute_cached(
            "INSERT OR IGNORE INTO notifications (key, courier) VALUES (?1, ?2)",
            params![key.to_string(), courier.as_str()],
        )?;
        return Ok(Ok(Event::CourierNotified));
    }
    Ok(event.ok_or_else(|| NotAStoreCommand(command.name()).into()))
}

/// A store call whose transaction did not commit: it may or may not have been written.
fn unknown(e: StorageError) -> PortError {
    PortError::Call(CallError::Unknown(e.to_string()))
}

impl SqliteShop {
    async fn keyed(&self, fence: Fence, command: Command, now_ms: u64) -> Result<Event, PortError> {
        self.writer.run(move |conn| perform_keyed(conn, fence, &command, now_ms)).await.map_err(unknown)?
    }
}

#[async_trait]
impl KeyedStores for SqliteShop {
    async fn perform(&self, fence: Fence, command: &Command, now_ms: u64) -> Result<Event, PortError> {
        NotAStoreCommand::check(command)?;
        self.keyed(fence, command.clone(), now_ms).await
    }
}

#[async_trait]
impl Notifier for SqliteShop {
    async fn notify(&self, fence: Fence, key: &EffectKey, courier: &CourierId, order: &Order) -> Result<(), PortError> {
        let command = Command::NotifyCourier { key: key.clone(), courier: courier.clone(), order: order.clone() };
        self.keyed(fence, command, 0).await.map(|_| ())
    }
}

#[async_trait]
impl CourierQueue for SqliteShop {
    async fn send(&self, request: &CourierRequest) -> Result<(), CallError> {
        let (token, body, deadline) =
            (request.token.as_str().to_string(), request.order.to_json(), request.deadline_ms);
        self.writer
            .run(move |conn| {
                conn.execute_cached(
                    "INSERT INTO courier_requests (token, body, deadline_ms) VALUES (?1, ?2, ?3)",
                    params![token, body, int(deadline)?],
                )
                .map(|_| ())
            })
            .await
            .map_err(|e| CallError::Unknown(e.to_string()))
    }
}

#[async_trait]
impl CourierInbox for SqliteShop {
    async fn take(&self, max: usize) -> Result<Vec<CourierRequest>, StorageError> {
        let limit = i64::try_from(max).unwrap_or(i64::MAX);
        self.writer
            .run(move |conn| {
                let mut statement = conn.prepare_cached(
                    "SELECT seq, token, body, deadline_ms FROM courier_requests ORDER BY seq LIMIT ?1",
                )?;
                let rows = statement.query_map([limit], |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, i64>(3)?,
                    ))
                })?;
                let mut taken = Vec::new();
                let mut last = None;
                for row in rows {
                    let (seq, token, body, deadline_ms) = row?;
                    let token = checkout_domain::TaskToken::new(token).map_err(|e| corrupt(e.to_string()))?;
                    let order = Order::from_json(&body).map_err(|e| corrupt(e.to_string()))?;
                    taken.push(CourierRequest { token, order, deadline_ms: uint(deadline_ms)? });
                    last = Some(seq);
                }
                if let Some(last) = last {
                    conn.execute_cached("DELETE FROM courier_requests WHERE seq <= ?1", [last])?;
                }
                Ok(taken)
            })
            .await
    }
}

#[async_trait]
impl Journal for SqliteShop {
    async fn record(&self, id: &CheckoutId, entry: JournalEntry) -> Result<(), StorageError> {
        let id = id.clone();
        self.writer.run(move |conn| journal(conn, &id, std::slice::from_ref(&entry))).await
    }

    async fn history(&self, id: &CheckoutId) -> Result<Vec<JournalEntry>, StorageError> {
        let id = id.clone();
        self.readers
            .run(move |conn| {
                let mut statement =
                    conn.prepare_cached("SELECT steps FROM journal WHERE checkout = ?1 ORDER BY seq")?;
                let rows = statement.query_map([id.as_str()], |row| row.get::<_, String>(0))?;
                let mut history = Vec::new();
                for steps in rows {
                    let steps: Vec<StoredStep> = serde_json::from_str(&steps?)
                        .map_err(|e| corrupt(format!("the journal of checkout {id}: {e}")))?;
                    history.extend(steps.into_iter().map(|(at_ms, step, outcome, phase, attempt)| JournalEntry {
                        at_ms,
                        step,
                        outcome,
                        phase,
                        attempt,
                    }));
                }
                Ok(history)
            })
            .await
    }
}

/// A journal entry as stored: `[at_ms, step, outcome, phase, attempt]`.
type StoredStep = (u64, String, String, String, u32);

/// Appends the steps of one save to a checkout's journal, as one row: a row for each step cost
/// the writer thread about 7% more per checkout.
fn journal(conn: &Connection, id: &CheckoutId, steps: &[JournalEntry]) -> rusqlite::Result<()> {
    if steps.is_empty() {
        return Ok(());
    }
    let stored: Vec<(u64, &str, &str, &str, u32)> =
        steps.iter().map(|e| (e.at_ms, e.step.as_str(), e.outcome.as_str(), e.phase.as_str(), e.attempt)).collect();
    let stored = serde_json::to_string(&stored).map_err(|e| corrupt(e.to_string()))?;
    conn.execute_cached(
        "INSERT INTO journal (checkout, seq, steps)
         VALUES (?1, (SELECT coalesce(max(seq), 0) + 1 FROM journal WHERE checkout = ?1), ?2)",
        params![id.as_str(), stored],
    )?;
    Ok(())
}

pub(crate) fn load_checkout(record: &str) -> rusqlite::Result<CheckoutState> {
    CheckoutState::from_json(record).map_err(|e| corrupt(e.to_string()))
}

/// A lease as an SQLite integer: one held by a host (`u64::MAX`) is kept as `i64::MAX`, which
/// lapses some 292 million years from now.
fn stored_lease(lease: Lease) -> i64 {
    i64::try_from(lease.until_ms()).unwrap_or(i64::MAX)
}

/// Reads checkout `id`'s slot, lets `decide` claim it (by the rules of `checkout_domain::fencing`)
/// and writes the claim back: its fence and lease, and the checkout as it was saved.
fn claim_slot(
    conn: &Connection,
    id: &CheckoutId,
    decide: impl FnOnce(&mut Slot<CheckoutState>) -> Result<Option<Fence>, FencesExhausted>,
) -> rusqlite::Result<Option<(Fence, CheckoutState)>> {
    let row: Option<(i64, i64, String)> = conn
        .query_row_cached("SELECT fence, lease_until, record FROM checkouts WHERE id = ?1", [id.as_str()], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .optional()?;
    let Some((fence, lease, record)) = row else { return Ok(None) };
    let (fence, lease) = (Fence::from_stored(uint(fence)?), Lease::from_stored(uint(lease)?));
    let mut slot = Slot::from_stored(fence, lease, load_checkout(&record)?);
    let Some(claimed) = decide(&mut slot).map_err(|e| corrupt(e.to_string()))? else { return Ok(None) };
    conn.execute_cached(
        "UPDATE checkouts SET fence = ?1, lease_until = ?2 WHERE id = ?3",
        params![int(claimed.get())?, stored_lease(slot.lease()), id.as_str()],
    )?;
    Ok(Some((claimed, slot.record().clone())))
}

#[async_trait]
impl CheckoutRepository for SqliteShop {
    async fn admit(&self, order: &Order, fresh: CheckoutId, lease: Lease) -> Result<Admission, AdmitError> {
        let order = order.clone();
        let answer = self
            .writer
            .run(move |conn| {
                let known: Option<(String, String)> = conn
                    .query_row_cached(
                        "SELECT body, checkout FROM orders WHERE order_id = ?1",
                        [order.id().as_str()],
                        |row| Ok((row.get(0)?, row.get(1)?)),
                    )
                    .optional()?;
                let admitted = match known {
                    Some((body, checkout)) => {
                        let known = Order::from_json(&body).map_err(|e| corrupt(e.to_string()))?;
                        let checkout = CheckoutId::new(checkout).map_err(|e| corrupt(e.to_string()))?;
                        Some((known, checkout))
                    }
                    None => None,
                };
                let in_use: Option<i64> = conn
                    .query_row_cached("SELECT 1 FROM checkouts WHERE id = ?1", [fresh.as_str()], |row| row.get(0))
                    .optional()?;
                let in_use = in_use.map(|_| fresh.clone());
                let mut registry = OrderRegistry::restore(admitted, in_use);
                let admission = match registry.admit(&order, fresh) {
                    Ok(admission) => admission,
                    Err(conflict) => return Ok(Err(conflict)),
                };
                if let Admission::Opened(id) = &admission {
                    let placed = CheckoutState::start(id.clone(), order.clone());
                    conn.execute_cached(
                        "INSERT INTO orders (order_id, body, checkout) VALUES (?1, ?2, ?3)",
                        params![order.id().as_str(), order.to_json(), id.as_str()],
                    )?;
                    conn.execute_cached(
                        "INSERT INTO checkouts (id, fence, record, finished, lease_until, phase) VALUES (?1, ?2, ?3, 0, ?4, ?5)",
                        params![
                            id.as_str(),
                            int(Fence::FIRST.get())?,
                            placed.to_json(),
                            stored_lease(lease),
                            placed.phase().to_string()
                        ],
                    )?;
                }
                Ok(Ok(admission))
            })
            .await?;
        Ok(answer?)
    }

    async fn claim(&self, id: &CheckoutId, lease: Lease) -> Result<Option<(Fence, CheckoutState)>, StorageError> {
        let id = id.clone();
        self.writer.run(move |conn| claim_slot(conn, &id, |slot| slot.claim(lease).map(Some))).await
    }

    async fn take_over(
        &self,
        id: &CheckoutId,
        now_ms: u64,
        lease: Lease,
    ) -> Result<Option<(Fence, CheckoutState)>, StorageError> {
        let id = id.clone();
        self.writer.run(move |conn| claim_slot(conn, &id, |slot| slot.take_over(now_ms, lease))).await
    }

    async fn renew(&self, held: &[(CheckoutId, Fence)], lease: Lease) -> Result<Vec<CheckoutId>, StorageError> {
        let held = held.to_vec();
        self.writer
            .run(move |conn| {
                let until = stored_lease(lease);
                let mut lost = Vec::new();
                for (id, fence) in held {
                    let renewed = conn.execute_cached(
                        "UPDATE checkouts SET lease_until = ?1 WHERE id = ?2 AND fence = ?3",
                        params![until, id.as_str(), int(fence.get())?],
                    )?;
                    if renewed == 0 {
                        lost.push(id);
                    }
                }
                Ok(lost)
            })
            .await
    }

    async fn lapsed(&self, now_ms: u64) -> Result<Vec<CheckoutId>, StorageError> {
        self.writer
            .run(move |conn| {
                let mut statement = conn
                    .prepare_cached("SELECT id FROM checkouts WHERE finished = 0 AND lease_until < ?1 ORDER BY id")?;
                let ids = statement.query_map([int(now_ms)?], |row| row.get::<_, String>(0))?;
                ids.map(|id| CheckoutId::new(id?).map_err(|e| corrupt(e.to_string()))).collect()
            })
            .await
    }

    async fn save(
        &self,
        id: &CheckoutId,
        fence: Fence,
        checkout: &CheckoutState,
        steps: &[JournalEntry],
    ) -> Result<(), SaveError> {
        let (id, record, finished, steps) = (id.clone(), checkout.to_json(), checkout.is_finished(), steps.to_vec());
        let (phase, moved_at) = (checkout.phase().to_string(), steps.last().map(|step| step.at_ms));
        let answer = self
            .writer
            .run(move |conn| {
                let current: Option<i64> = conn
                    .query_row_cached("SELECT fence FROM checkouts WHERE id = ?1", [id.as_str()], |row| row.get(0))
                    .optional()?;
                let Some(current) = current else { return Ok(Err(SaveError::Missing(id))) };
                let mut slot = Slot::from_stored(Fence::from_stored(uint(current)?), Lease::LAPSED, ());
                if let Err(superseded) = slot.save(fence, ()) {
                    return Ok(Err(superseded.into()));
                }
                conn.execute_cached(
                    "UPDATE checkouts SET record = ?1, finished = ?2, phase = ?3, since_ms = coalesce(?4, since_ms) \
                     WHERE id = ?5",
                    params![record, finished, phase, moved_at.map(int).transpose()?, id.as_str()],
                )?;
                journal(conn, &id, &steps)?;
                Ok(Ok(()))
            })
            .await?;
        answer
    }

    async fn load(&self, id: &CheckoutId) -> Result<Option<CheckoutState>, StorageError> {
        let id = id.clone();
        self.readers
            .run(move |conn| {
                let record: Option<String> = conn
                    .query_row_cached("SELECT record FROM checkouts WHERE id = ?1", [id.as_str()], |row| row.get(0))
                    .optional()?;
                record.as_deref().map(load_checkout).transpose()
            })
            .await
    }

    async fn checkout_of(&self, order: &OrderId) -> Result<Option<CheckoutId>, StorageError> {
        let order = order.clone();
        self.readers
            .run(move |conn| {
                let checkout: Option<String> = conn
                    .query_row_cached("SELECT checkout FROM orders WHERE order_id = ?1", [order.as_str()], |row| {
                        row.get(0)
                    })
                    .optional()?;
                checkout.map(|id| CheckoutId::new(id).map_err(|e| corrupt(e.to_string()))).transpose()
            })
            .await
    }

    async fn durable(&self) -> Result<(), StorageError> {
        self.sync_to_disk().await
    }

    async fn unfinished(&self) -> Result<Vec<CheckoutId>, StorageError> {
        self.writer
            .run(|conn| {
                let mut statement = conn.prepare_cached("SELECT id FROM checkouts WHERE finished = 0 ORDER BY id")?;
                let ids = statement.query_map([], |row| row.get::<_, String>(0))?;
                ids.map(|id| CheckoutId::new(id?).map_err(|e| corrupt(e.to_string()))).collect()
            })
            .await
    }

    /// One range of the `(phase, since_ms, id)` index, off the writer.
    async fn list(&self, query: &PhaseQuery) -> Result<Vec<Listed>, StorageError> {
        let query = query.clone();
        self.readers
            .run(move |conn| {
                let (after_ms, after_id) = match &query.after {
                    Some(after) => (int(after.since_ms)?, after.checkout.as_str().to_string()),
                    None => (-1, String::new()),
                };
                let before = query.moved_before_ms.map(int).transpose()?.unwrap_or(i64::MAX);
                let mut statement = conn.prepare_cached(
                    "SELECT id, since_ms, record FROM checkouts \
                     WHERE phase = ?1 AND (since_ms, id) > (?2, ?3) AND since_ms < ?4 \
                     ORDER BY since_ms, id LIMIT ?5",
                )?;
                let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
                let rows = statement
                    .query_map(params![query.phase.to_string(), after_ms, after_id, before, limit], |row| {
                        Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?, row.get::<_, String>(2)?))
                    })?;
                rows.map(|row| {
                    let (id, since_ms, record) = row?;
                    let checkout = load_checkout(&record)?;
                    Ok(Listed {
                        checkout: CheckoutId::new(id).map_err(|e| corrupt(e.to_string()))?,
                        order: checkout.order().id().clone(),
                        phase: checkout.phase(),
                        since_ms: uint(since_ms)?,
                    })
                })
                .collect()
            })
            .await
    }
}
