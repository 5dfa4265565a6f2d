//! Where checkouts are kept in DynamoDB: the order registry, each checkout's record with the fence
//! of its latest claim, and its journal. Each call reads, lets the domain decide (the registry,
//! the claim and save rules of `checkout_domain::fencing`), and writes under conditions that
//! hold only if nothing it read has moved; a lost race is read and decided again.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use checkout_domain::fencing::{Fence, FencesExhausted, Lease, Slot};
use checkout_domain::registry::{Admission, OrderRegistry};
use checkout_domain::{CheckoutId, CheckoutState, Order, OrderId};
use checkout_ports::listing::{Listed, PhaseQuery};
use checkout_ports::{AdmitError, CheckoutRepository, Journal, JournalEntry, SaveError, StorageError};

use crate::items::{n, s, Item, Reader};
use crate::listing::{phase_shard, since_key};
use crate::resources::{BY_PHASE_INDEX, OPEN_SHARDS, UNFINISHED_INDEX};
use crate::transact::{self, pause, Written, ROUNDS};
use crate::AwsShop;

/// The sort key of a checkout's record, of its journal's length, and of its `n`th step.
const RECORD: &str = "record";
const JOURNAL: &str = "journal";
fn step_sk(n: u64) -> String {
    format!("step#{n:010}")
}

/// Which of an index's [`OPEN_SHARDS`] partitions lists checkout `id`: spread by its id, the
/// same for every index and for the checkout's whole life.
pub(crate) fn shard(id: &CheckoutId) -> u32 {
    let spread = id.as_str().bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    spread % OPEN_SHARDS
}

/// Which of the unfinished index's partitions lists checkout `id`.
fn open_shard(id: &CheckoutId) -> String {
    format!("open#{}", shard(id))
}

fn order_key(order: &OrderId) -> String {
    format!("order#{order}")
}

fn storage(e: impl std::fmt::Display) -> StorageError {
    StorageError::Failed(e.to_string())
}

/// The journal length of each checkout this shop is driving, as its own writes left it, so that a
/// save need not read first. A wrong guess costs a failed condition and a read, never a wrong
/// write.
#[derive(Clone, Debug, Default)]
pub(crate) struct JournalLengths(std::sync::Arc<std::sync::Mutex<std::collections::HashMap<CheckoutId, u64>>>);

impl JournalLengths {
    fn known(&self, id: &CheckoutId) -> Option<u64> {
        self.0.lock().ok()?.get(id).copied()
    }
    fn learn(&self, id: &CheckoutId, length: u64) {
        if let Ok(mut lengths) = self.0.lock() {
            lengths.insert(id.clone(), length);
        }
    }
    fn forget(&self, id: &CheckoutId) {
        if let Ok(mut lengths) = self.0.lock() {
            lengths.remove(id);
        }
    }
}

fn load_checkout(pk: &str, item: &Item) -> Result<(Fence, CheckoutState), StorageError> {
    let r = Reader::new(pk, item);
    let fence = Fence::from_stored(r.n("fence").map_err(storage)?);
    let record = CheckoutState::from_json(r.s("record").map_err(storage)?)
        .map_err(|e| storage(format!("corrupt checkout {pk}: {e}")))?;
    Ok((fence, record))
}

/// The lease of a checkout's latest claim; a record written before leases holds a lapsed one.
fn load_lease(pk: &str, item: &Item) -> Result<Lease, StorageError> {
    Ok(Reader::new(pk, item).opt_n(LEASE).map_err(storage)?.map_or(Lease::LAPSED, Lease::from_stored))
}

/// The attribute holding a record's lease, which the unfinished index projects.
const LEASE: &str = UNFINISHED_INDEX.projected[0];

/// The attribute holding when a record last moved, the `by-phase` index's sort key.
const SINCE: &str = match BY_PHASE_INDEX.sort_key {
    Some(key) => key,
    None => panic!("the by-phase index is sorted"),
};

fn step_item(id: &CheckoutId, n: u64, entry: &JournalEntry) -> Item {
    Item::from([
        ("pk".to_string(), s(id.as_str())),
        ("sk".to_string(), s(step_sk(n))),
        ("at_ms".to_string(), self::n(entry.at_ms)),
        ("step".to_string(), s(entry.step.clone())),
        ("outcome".to_string(), s(entry.outcome.clone())),
        ("phase".to_string(), s(entry.phase.clone())),
        ("attempt".to_string(), self::n(u64::from(entry.attempt))),
    ])
}

impl AwsShop {
    fn key(&self, pk: &str, sk: &str) -> std::collections::HashMap<String, AttributeValue> {
        std::collections::HashMap::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
    }

    /// Reads items of the checkouts table by `(pk, sk)`, as of one moment.
    async fn get_checkout_items(&self, keys: &[(String, &str)]) -> Result<Vec<Option<Item>>, StorageError> {
        let table = self.names.checkouts_table();
        let keys = keys.iter().map(|(pk, sk)| (table.clone(), self.key(pk, sk))).collect();
        Ok(transact::read(&self.dynamodb, keys).await?)
    }

    /// Reads one item of the checkouts table by `(pk, sk)`.
    async fn get_checkout_item(&self, pk: &str, sk: &str) -> Result<Option<Item>, StorageError> {
        Ok(transact::get(&self.dynamodb, self.names.checkouts_table(), self.key(pk, sk)).await?)
    }

    async fn write(&self, writes: Vec<TransactWriteItem>) -> Result<Written, StorageError> {
        transact::write(&self.dynamodb, writes).await.map_err(StorageError::from)
    }

    /// How many steps the journal of `id` has.
    async fn journal_length(&self, id: &CheckoutId) -> Result<u64, StorageError> {
        let items = self.get_checkout_items(&[(id.as_str().to_string(), JOURNAL)]).await?;
        match &items[0] {
            Some(item) => Reader::new(id.as_str(), item).n("steps").map_err(storage),
            None => Ok(0),
        }
    }

    /// Appends `steps` to the journal of `id` in a transaction with `first` (which may fail its
    /// condition), given the journal's length as read: the length is conditioned on too, so two
    /// writers never number a step alike.
    fn journal_writes(
        &self,
        id: &CheckoutId,
        length: u64,
        steps: &[JournalEntry],
    ) -> Result<Vec<TransactWriteItem>, StorageError> {
        let table = self.names.checkouts_table();
        let count = steps.len() as u64;
        let mut update = Update::builder()
            .table_name(&table)
            .set_key(Some(self.key(id.as_str(), JOURNAL)))
            .update_expression("SET steps = :after")
            .expression_attribute_values(":after", n(length + count));
        update = if length == 0 {
            update.condition_expression("attribute_not_exists(steps)")
        } else {
            update.condition_expression("steps = :before").expression_attribute_values(":before", n(length))
        };
        let mut writes = vec![TransactWriteItem::builder().update(update.build().map_err(storage)?).build()];
        for (i, step) in steps.iter().enumerate() {
            let put = Put::builder()
                .table_name(&table)
                .set_item(Some(step_item(id, length + i as u64 + 1, step)))
                .build()
                .map_err(storage)?;
            writes.push(TransactWriteItem::builder().put(put).build());
        }
        Ok(writes)
    }
}

/// A claim as read: the fence and lease it holds, the next fence, and the record it takes the
/// checkout as.
struct ClaimRead {
    held: Fence,
    held_lease: Lease,
    claimed: Fence,
    lease: Lease,
    record: CheckoutState,
    /// The record's stored text, which the write is conditioned on.
    stored: String,
}

impl AwsShop {
    /// The first half of a claim: the record, its fence and lease, and the claim `decide` makes
    /// of it (by the rules of `checkout_domain::fencing`); `Ok(None)` for no checkout or no claim.
    async fn read_claim(
        &self,
        id: &CheckoutId,
        decide: impl FnOnce(&mut Slot<CheckoutState>) -> Result<Option<Fence>, FencesExhausted>,
    ) -> Result<Option<ClaimRead>, StorageError> {
        let items = self.get_checkout_items(&[(id.as_str().to_string(), RECORD)]).await?;
        let Some(item) = &items[0] else { return Ok(None) };
        let (held, record) = load_checkout(id.as_str(), item)?;
        let held_lease = load_lease(id.as_str(), item)?;
        let stored = Reader::new(id.as_str(), item).s("record").map_err(storage)?.to_string();
        let mut slot = Slot::from_stored(held, held_lease, record);
        let Some(claimed) = decide(&mut slot)? else { return Ok(None) };
        Ok(Some(ClaimRead { held, held_lease, claimed, lease: slot.lease(), record: slot.record().clone(), stored }))
    }

    /// The second half: raises the fence and sets the lease if nothing changed since `claim` was
    /// read; `None` if something did (the claim is read again).
    async fn write_claim(
        &self,
        id: &CheckoutId,
        claim: ClaimRead,
    ) -> Result<Option<(Fence, CheckoutState)>, StorageError> {
        // The claim takes the record as read: the incarnation holding the fence may have saved
        // since (a save keeps the fence), and a claim on an older record would resume the
        // checkout from a step it has left (say, dispatch what is being refunded). The lease as
        // read too: a takeover decided on a lapsed lease must not land on a renewed one.
        let held_lease = if claim.held_lease == Lease::LAPSED {
            "(attribute_not_exists(#lease) OR #lease = :held_lease)"
        } else {
            "#lease = :held_lease"
        };
        let update = Update::builder()
            .table_name(self.names.checkouts_table())
            .set_key(Some(self.key(id.as_str(), RECORD)))
            .update_expression("SET fence = :claimed, #lease = :lease")
            .condition_expression(format!("fence = :held AND #record = :record AND {held_lease}"))
            .expression_attribute_names("#record", "record")
            .expression_attribute_names("#lease", LEASE)
            .expression_attribute_values(":claimed", n(claim.claimed.get()))
            .expression_attribute_values(":held", n(claim.held.get()))
            .expression_attribute_values(":record", s(claim.stored))
            .expression_attribute_values(":lease", n(claim.lease.until_ms()))
            .expression_attribute_values(":held_lease", n(claim.held_lease.until_ms()))
            .build()
            .map_err(storage)?;
        match self.write(vec![TransactWriteItem::builder().update(update).build()]).await? {
            Written::Done => Ok(Some((claim.claimed, claim.record))),
            Written::Lost => Ok(None),
        }
    }

    /// Reads and writes a claim until no race is lost: `decide` says whether (and how) to claim.
    async fn claim_with(
        &self,
        id: &CheckoutId,
        decide: impl Fn(&mut Slot<CheckoutState>) -> Result<Option<Fence>, FencesExhausted>,
    ) -> Result<Option<(Fence, CheckoutState)>, StorageError> {
        for round in 0..ROUNDS {
            pause(round).await;
            let Some(claim) = self.read_claim(id, &decide).await? else { return Ok(None) };
            if let Some(claimed) = self.write_claim(id, claim).await? {
                return Ok(Some(claimed));
            }
        }
        Err(StorageError::Contended(format!("claim of checkout {id}")))
    }

    /// Extends the lease of one checkout held under `fence`; false if a newer claim holds it.
    async fn renew_one(&self, id: &CheckoutId, fence: Fence, lease: Lease) -> Result<bool, StorageError> {
        let update = Update::builder()
            .table_name(self.names.checkouts_table())
            .set_key(Some(self.key(id.as_str(), RECORD)))
            .update_expression("SET #lease = :lease")
            .condition_expression("fence = :fence")
            .expression_attribute_names("#lease", LEASE)
            .expression_attribute_values(":lease", n(lease.until_ms()))
            .expression_attribute_values(":fence", n(fence.get()))
            .build()
            .map_err(storage)?;
        Ok(matches!(self.write(vec![TransactWriteItem::builder().update(update).build()]).await?, Written::Done))
    }
}

#[async_trait]
impl CheckoutRepository for AwsShop {
    async fn admit(&self, order: &Order, fresh: CheckoutId, lease: Lease) -> Result<Admission, AdmitError> {
        let table = self.names.checkouts_table();
        for round in 0..ROUNDS {
            pause(round).await;
            let pk = order_key(order.id());
            let items = self.get_checkout_items(&[(pk.clone(), "order"), (fresh.as_str().to_string(), RECORD)]).await?;
            let known = match &items[0] {
                Some(item) => {
                    let r = Reader::new(&pk, item);
                    let body = Order::from_json(r.s("body").map_err(storage)?).map_err(storage)?;
                    let checkout = CheckoutId::new(r.s("checkout").map_err(storage)?).map_err(storage)?;
                    Some((body, checkout))
                }
                None => None,
            };
            let in_use = items[1].as_ref().map(|_| fresh.clone());
            let admission = OrderRegistry::restore(known, in_use).admit(order, fresh.clone())?;
            let Admission::Opened(id) = &admission else { return Ok(admission) };
            let placed = CheckoutState::start(id.clone(), order.clone());
            let registered = Put::builder()
                .table_name(&table)
                .item("pk", s(pk))
                .item("sk", s("order"))
                .item("body", s(order.to_json()))
                .item("checkout", s(id.as_str()))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(storage)?;
            let record = Put::builder()
                .table_name(&table)
                .item("pk", s(id.as_str()))
                .item("sk", s(RECORD))
                .item("fence", n(Fence::FIRST.get()))
                .item(LEASE, n(lease.until_ms()))
                .item("record", s(placed.to_json()))
                .item("open", AttributeValue::Bool(true))
                .item(UNFINISHED_INDEX.partition_key, s(open_shard(id)))
                .item(BY_PHASE_INDEX.partition_key, s(phase_shard(placed.phase(), id)))
                .item(SINCE, s(since_key(0, id)))
                .item(BY_PHASE_INDEX.projected[0], s(order.id().as_str()))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(storage)?;
            let writes = vec![
                TransactWriteItem::builder().put(registered).build(),
                TransactWriteItem::builder().put(record).build(),
            ];
            if let Written::Done = self.write(writes).await? {
                self.journal_lengths.learn(id, 0);
                return Ok(admission);
            }
        }
        Err(AdmitError::Storage(StorageError::Contended(format!("admission of order {}", order.id()))))
    }

    async fn claim(&self, id: &CheckoutId, lease: Lease) -> Result<Option<(Fence, CheckoutState)>, StorageError> {
        self.claim_with(id, |slot| slot.claim(lease).map(Some)).await
    }

    async fn take_over(
        &self,
        id: &CheckoutId,
        now_ms: u64,
        lease: Lease,
    ) -> Result<Option<(Fence, CheckoutState)>, StorageError> {
        self.claim_with(id, |slot| slot.take_over(now_ms, lease)).await
    }

    /// One conditional write per checkout, a few at a time: DynamoDB has no conditional batch
    /// write outside a transaction, and a transaction fails whole if one checkout was taken over.
    async fn renew(&self, held: &[(CheckoutId, Fence)], lease: Lease) -> Result<Vec<CheckoutId>, StorageError> {
        let mut lost = Vec::new();
        for chunk in held.chunks(16) {
            let mut renewals = tokio::task::JoinSet::new();
            for (id, fence) in chunk.iter().cloned() {
                let shop = self.clone();
                renewals.spawn(async move { (shop.renew_one(&id, fence, lease).await, id) });
            }
            while let Some(done) = renewals.join_next().await {
                let (renewed, id) = done.map_err(storage)?;
                if !renewed? {
                    lost.push(id);
                }
            }
        }
        lost.sort();
        Ok(lost)
    }

    /// Read from the unfinished index, which projects each record's lease: no Scan, and only the
    /// checkouts not yet ended are read.
    async fn lapsed(&self, now_ms: u64) -> Result<Vec<CheckoutId>, StorageError> {
        let mut ids = Vec::new();
        for item in self.open_index_items().await? {
            let pk = Reader::new("index", &item).s("pk").map_err(storage)?.to_string();
            if load_lease(&pk, &item)?.lapsed(now_ms) {
                ids.push(CheckoutId::new(pk).map_err(storage)?);
            }
        }
        ids.sort();
        Ok(ids)
    }

    async fn save(
        &self,
        id: &CheckoutId,
        fence: Fence,
        checkout: &CheckoutState,
        steps: &[JournalEntry],
    ) -> Result<(), SaveError> {
        if steps.len() > 98 {
            return Err(StorageError::TooLarge(format!(
                "{} journal steps in one save; at most 98 fit a transaction",
                steps.len()
            ))
            .into());
        }
        for round in 0..ROUNDS {
            pause(round).await;
            // The first try trusts the journal length this shop last wrote (only the fence holder
            // writes, and the conditions check both): one call. Any doubt reads first.
            let known = if round == 0 { self.journal_lengths.known(id) } else { None };
            let length = match known {
                Some(length) => length,
                None if round == 0 && steps.is_empty() => 0,
                None => {
                    let items = self
                        .get_checkout_items(&[(id.as_str().to_string(), RECORD), (id.as_str().to_string(), JOURNAL)])
                        .await?;
                    let Some(item) = &items[0] else { return Err(SaveError::Missing(id.clone())) };
                    let current = Fence::from_stored(Reader::new(id.as_str(), item).n("fence").map_err(storage)?);
                    Slot::from_stored(current, Lease::LAPSED, ()).save(fence, ())?;
                    match &items[1] {
                        Some(item) => Reader::new(id.as_str(), item).n("steps").map_err(storage)?,
                        None => 0,
                    }
                }
            };
            // The listing's keys move with the checkout: its phase, and when it last moved.
            let listing = match steps.last() {
                Some(_) => "#record = :record, #open = :open, #phase = :phase, #since = :since",
                None => "#record = :record, #open = :open, #phase = :phase",
            };
            let mut update = Update::builder()
                .table_name(self.names.checkouts_table())
                .set_key(Some(self.key(id.as_str(), RECORD)))
                .update_expression(if checkout.is_finished() {
                    format!("SET {listing} REMOVE open_shard")
                } else {
                    format!("SET {listing}")
                })
                .condition_expression("fence = :fence")
                .expression_attribute_names("#record", "record")
                .expression_attribute_names("#open", "open")
                .expression_attribute_names("#phase", BY_PHASE_INDEX.partition_key)
                .expression_attribute_values(":phase", s(phase_shard(checkout.phase(), id)))
                .expression_attribute_values(":record", s(checkout.to_json()))
                .expression_attribute_values(":open", AttributeValue::Bool(!checkout.is_finished()))
                .expression_attribute_values(":fence", n(fence.get()));
            if let Some(last) = steps.last() {
                update = update
                    .expression_attribute_names("#since", SINCE)
                    .expression_attribute_values(":since", s(since_key(last.at_ms, id)));
            }
            let update = update.build().map_err(storage)?;
            let mut writes = vec![TransactWriteItem::builder().update(update).build()];
            if !steps.is_empty() {
                writes.extend(self.journal_writes(id, length, steps)?);
            }
            match self.write(writes).await? {
                Written::Done => {
                    if checkout.is_finished() {
                        self.journal_lengths.forget(id);
                    } else if !steps.is_empty() || known.is_some() {
                        self.journal_lengths.learn(id, length + steps.len() as u64);
                    }
                    return Ok(());
                }
                Written::Lost => self.journal_lengths.forget(id),
            }
        }
        Err(StorageError::Contended(format!("save of checkout {id}")).into())
    }

    /// One GetItem of the order's registry entry, whatever the table holds.
    async fn checkout_of(&self, order: &OrderId) -> Result<Option<CheckoutId>, StorageError> {
        let pk = order_key(order);
        let Some(item) = self.get_checkout_item(&pk, "order").await? else { return Ok(None) };
        let checkout = Reader::new(&pk, &item).s("checkout").map_err(storage)?;
        CheckoutId::new(checkout).map(Some).map_err(storage)
    }

    async fn load(&self, id: &CheckoutId) -> Result<Option<CheckoutState>, StorageError> {
        let item = self.get_checkout_item(id.as_str(), RECORD).await?;
        item.as_ref().map(|item| load_checkout(id.as_str(), item).map(|(_, record)| record)).transpose()
    }

    /// DynamoDB answers a write only once it is durable: nothing is left to wait for.
    async fn durable(&self) -> Result<(), StorageError> {
        Ok(())
    }

    /// Read from the sparse index of unfinished checkouts, which DynamoDB updates a moment after
    /// the table: a checkout admitted or ended just now may be missing or still listed. The runner
    /// drives what it admits itself, and a listed checkout that has ended loads as ended.
    async fn unfinished(&self) -> Result<Vec<CheckoutId>, StorageError> {
        let mut ids = Vec::new();
        for item in self.open_index_items().await? {
            ids.push(CheckoutId::new(Reader::new("index", &item).s("pk").map_err(storage)?).map_err(storage)?);
        }
        ids.sort();
        Ok(ids)
    }

    async fn list(&self, query: &PhaseQuery) -> Result<Vec<Listed>, StorageError> {
        self.list_phase(query).await
    }
}

impl AwsShop {
    /// Every item of the sparse index of unfinished checkouts, shard by shard. DynamoDB updates
    /// the index a moment after the table: a checkout admitted or ended just now may be missing
    /// or still listed.
    async fn open_index_items(&self) -> Result<Vec<Item>, StorageError> {
        let mut items = Vec::new();
        for shard in 0..OPEN_SHARDS {
            let query = self
                .dynamodb
                .query()
                .table_name(self.names.checkouts_table())
                .index_name(UNFINISHED_INDEX.name)
                .key_condition_expression("#shard = :shard")
                .expression_attribute_names("#shard", UNFINISHED_INDEX.partition_key)
                .expression_attribute_values(":shard", s(format!("open#{shard}")));
            items.extend(transact::query_all(query).await.map_err(StorageError::from)?);
        }
        Ok(items)
    }
}

impl AwsShop {
    /// Every checkout record.
    pub(crate) async fn scan_records(&self) -> Result<Vec<Item>, StorageError> {
        let scan = self
            .dynamodb
            .scan()
            .table_name(self.names.checkouts_table())
            .filter_expression("#sk = :record")
            .expression_attribute_names("#sk", "sk")
            .expression_attribute_values(":record", s(RECORD));
        Ok(transact::scan_all(scan).await?)
    }
}

#[async_trait]
impl Journal for AwsShop {
    async fn record(&self, id: &CheckoutId, entry: JournalEntry) -> Result<(), StorageError> {
        for round in 0..ROUNDS {
            pause(round).await;
            let length = match self.journal_lengths.known(id) {
                Some(length) if round == 0 => length,
                _ => self.journal_length(id).await?,
            };
            let writes = self.journal_writes(id, length, std::slice::from_ref(&entry))?;
            match self.write(writes).await? {
                Written::Done => {
                    self.journal_lengths.learn(id, length + 1);
                    return Ok(());
                }
                Written::Lost => self.journal_lengths.forget(id),
            }
        }
        Err(StorageError::Contended(format!("journal of checkout {id}")))
    }

    async fn history(&self, id: &CheckoutId) -> Result<Vec<JournalEntry>, StorageError> {
        let query = self
            .dynamodb
            .query()
            .table_name(self.names.checkouts_table())
            .consistent_read(true)
            .key_condition_expression("pk = :pk AND begins_with(sk, :step)")
            .expression_attribute_values(":pk", s(id.as_str()))
            .expression_attribute_values(":step", s("step#"));
        let items = transact::query_all(query).await.map_err(StorageError::from)?;
        items
            .iter()
            .map(|item| {
                let r = Reader::new(id.as_str(), item);
                Ok(JournalEntry {
                    at_ms: r.n("at_ms").map_err(storage)?,
                    step: r.s("step").map_err(storage)?.to_string(),
                    outcome: r.s("outcome").map_err(storage)?.to_string(),
                    phase: r.s("phase").map_err(storage)?.to_string(),
                    attempt: u32::try_from(r.n("attempt").map_err(storage)?).map_err(storage)?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
#[path = "repository_tests.rs"]
mod tests;
