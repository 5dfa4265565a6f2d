//! [`MemoryShop`]: the store rules behind the ports, with a repository, a courier queue and
//! a notifier, all under one lock, so that every call is one atomic step. For the model of the
//! Step Functions state machine, a shop's contents are a value ([`ShopState`]) it can be built
//! from and read back as, and it shows two faults on purpose ([`ShopFaults`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use checkout_domain::fencing::{Fence, FencesExhausted, Lease, Slot};
use checkout_domain::operation::{Operation, Recorded};
use checkout_domain::protocol::CallError;
use checkout_domain::registry::{Admission, OrderRegistry};
use checkout_domain::stores::Stores;
use checkout_domain::{CheckoutId, CheckoutState, Command, CourierId, Effect, EffectKey, Event, Order, OrderId};
use checkout_ports::listing::{Listed, PhaseQuery};
use checkout_ports::{
    AdminError, AdmitError, Balances, CheckoutRepository, CourierInbox, CourierQueue, CourierRequest, Held, HeldTotals,
    Journal, JournalEntry, KeyedStores, NotAStoreCommand, Notifier, PortError, SaveError, ShopAdmin, StorageError,
};

/// Everything the shop holds but its journal (history only, which no decision reads).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ShopState {
    pub stores: Stores,
    registry: OrderRegistry,
    checkouts: BTreeMap<CheckoutId, Slot<CheckoutState>>,
    courier_requests: Vec<CourierRequest>,
    /// How many of `courier_requests` the worker has taken.
    courier_taken: usize,
    notified: BTreeSet<EffectKey>,
    /// The operator journal: what was added to the stores outside any checkout.
    operations: Vec<Recorded>,
    /// When each checkout last moved: the time of the last step saved with it.
    moved_at: BTreeMap<CheckoutId, u64>,
}

impl ShopState {
    /// Checkout `id` as saved.
    pub fn checkout(&self, id: &CheckoutId) -> Option<&CheckoutState> {
        self.checkouts.get(id).map(Slot::record)
    }

    /// The checkouts, as saved, in id order.
    pub fn checkouts(&self) -> impl Iterator<Item = &CheckoutState> {
        self.checkouts.values().map(Slot::record)
    }

    /// Whether a courier notice under `key` has reached the notification service.
    pub fn was_notified(&self, key: &EffectKey) -> bool {
        self.notified.contains(key)
    }
}

/// Faults the shop shows on purpose.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ShopFaults {
    /// After this many calls the shop never answers again, which is how a process that died
    /// looks from inside it: the calls it made happened, the rest never will. `None`: it answers.
    pub calls_before_stop: Option<u32>,
    /// Every compensation (release, restore, refund) is refused for good.
    pub refuse_compensations: bool,
}

/// The in-memory shop. Cheap to make; one per test.
#[derive(Debug, Default)]
pub struct MemoryShop {
    shop: Mutex<ShopState>,
    journal: Mutex<BTreeMap<CheckoutId, Vec<JournalEntry>>>,
    faults: ShopFaults,
    /// Calls answered so far, counted against `faults.calls_before_stop`.
    calls: Mutex<u32>,
    stopped: tokio::sync::Notify,
}

impl MemoryShop {
    pub fn new() -> MemoryShop {
        MemoryShop::default()
    }

    /// A shop holding `state`, with an empty journal, showing `faults`.
    pub fn from_state(state: ShopState, faults: ShopFaults) -> MemoryShop {
        MemoryShop { shop: Mutex::new(state), faults, ..MemoryShop::default() }
    }

    /// What the shop holds now.
    pub fn state(&self) -> ShopState {
        self.lock().clone()
    }

    /// Resolves once the shop has stopped answering (see [`ShopFaults::calls_before_stop`]).
    pub async fn stopped(&self) {
        self.stopped.notified().await
    }

    fn lock(&self) -> MutexGuard<'_, ShopState> {
        // A panic while the lock was held leaves the shop as the last completed call left it:
        // every call changes it in one step.
        self.shop.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn journal(&self) -> MutexGuard<'_, BTreeMap<CheckoutId, Vec<JournalEntry>>> {
        self.journal.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Lets a call through, or, once the shop has answered all the calls it was to, never does.
    async fn gate(&self) {
        let Some(limit) = self.faults.calls_before_stop else { return };
        let stop = {
            let mut calls = self.calls.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            *calls += 1;
            *calls > limit
        };
        if stop {
            self.stopped.notify_one();
            std::future::pending::<()>().await;
        }
    }

    /// The courier requests sent so far, oldest first.
    pub fn courier_requests(&self) -> Vec<CourierRequest> {
        self.lock().courier_requests.clone()
    }

    /// Whether the courier was told to collect under `key`.
    pub fn was_notified(&self, key: &EffectKey) -> bool {
        self.lock().was_notified(key)
    }
}

#[async_trait]
impl KeyedStores for MemoryShop {
    async fn perform(&self, fence: Fence, command: &Command, now_ms: u64) -> Result<Event, PortError> {
        self.gate().await;
        NotAStoreCommand::check(command)?;
        if command.is_compensation() && self.faults.refuse_compensations {
            return Err(CallError::Refused("this shop refuses every compensation".into()).into());
        }
        let answer = self.lock().stores.perform(fence, command, now_ms)?;
        Ok(answer.ok_or_else(|| NotAStoreCommand(command.name()))?)
    }
}

#[async_trait]
impl Notifier for MemoryShop {
    async fn notify(
        &self,
        fence: Fence,
        key: &EffectKey,
        _courier: &CourierId,
        _order: &Order,
    ) -> Result<(), PortError> {
        self.gate().await;
        let mut shop = self.lock();
        shop.stores.fences.admit(key.checkout(), fence)?;
        shop.notified.insert(key.clone());
        Ok(())
    }
}

#[async_trait]
impl CourierQueue for MemoryShop {
    async fn send(&self, request: &CourierRequest) -> Result<(), CallError> {
        self.gate().await;
        self.lock().courier_requests.push(request.clone());
        Ok(())
    }
}

#[async_trait]
impl CourierInbox for MemoryShop {
    async fn take(&self, max: usize) -> Result<Vec<CourierRequest>, StorageError> {
        self.gate().await;
        let mut shop = self.lock();
        let start = shop.courier_taken;
        let end = shop.courier_requests.len().min(start + max);
        shop.courier_taken = end;
        Ok(shop.courier_requests[start..end].to_vec())
    }
}

#[async_trait]
impl Journal for MemoryShop {
    async fn record(&self, id: &CheckoutId, entry: JournalEntry) -> Result<(), StorageError> {
        self.gate().await;
        self.journal().entry(id.clone()).or_default().push(entry);
        Ok(())
    }

    async fn history(&self, id: &CheckoutId) -> Result<Vec<JournalEntry>, StorageError> {
        self.gate().await;
        Ok(self.journal().get(id).cloned().unwrap_or_default())
    }
}

impl MemoryShop {
    /// Claims checkout `id` if `decide` does (a claim, or a takeover of a lapsed lease): the new
    /// fence and the checkout as saved.
    async fn claim_with(
        &self,
        id: &CheckoutId,
        decide: impl FnOnce(&mut Slot<CheckoutState>) -> Result<Option<Fence>, FencesExhausted>,
    ) -> Result<Option<(Fence, CheckoutState)>, StorageError> {
        self.gate().await;
        let mut shop = self.lock();
        let Some(slot) = shop.checkouts.get_mut(id) else { return Ok(None) };
        let claimed = decide(slot)?;
        Ok(claimed.map(|fence| (fence, slot.record().clone())))
    }
}

#[async_trait]
impl CheckoutRepository for MemoryShop {
    async fn admit(&self, order: &Order, fresh: CheckoutId, lease: Lease) -> Result<Admission, AdmitError> {
        self.gate().await;
        let mut shop = self.lock();
        let admission = shop.registry.admit(order, fresh)?;
        if let Admission::Opened(id) = &admission {
            let placed = CheckoutState::start(id.clone(), order.clone());
            shop.checkouts.insert(id.clone(), Slot::new(placed, lease));
        }
        Ok(admission)
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

    async fn renew(&self, held: &[(CheckoutId, Fence)], lease: Lease) -> Result<Vec<CheckoutId>, StorageError> {
        self.gate().await;
        let mut shop = self.lock();
        let lost = held.iter().filter(|(id, fence)| match shop.checkouts.get_mut(id) {
            Some(slot) => slot.renew(*fence, lease).is_err(),
            None => true,
        });
        Ok(lost.map(|(id, _)| id.clone()).collect())
    }

    async fn lapsed(&self, now_ms: u64) -> Result<Vec<CheckoutId>, StorageError> {
        self.gate().await;
        let shop = self.lock();
        let lapsed =
            shop.checkouts.iter().filter(|(_, slot)| !slot.record().is_finished() && slot.lease().lapsed(now_ms));
        Ok(lapsed.map(|(id, _)| id.clone()).collect())
    }

    async fn save(
        &self,
        id: &CheckoutId,
        fence: Fence,
        checkout: &CheckoutState,
        steps: &[JournalEntry],
    ) -> Result<(), SaveError> {
        self.gate().await;
        let mut shop = self.lock();
        let slot = shop.checkouts.get_mut(id).ok_or_else(|| SaveError::Missing(id.clone()))?;
        slot.save(fence, checkout.clone())?;
        if let Some(last) = steps.last() {
            shop.moved_at.insert(id.clone(), last.at_ms);
        }
        drop(shop);
        self.journal().entry(id.clone()).or_default().extend_from_slice(steps);
        Ok(())
    }

    async fn checkout_of(&self, order: &OrderId) -> Result<Option<CheckoutId>, StorageError> {
        self.gate().await;
        Ok(self.lock().registry.checkout_of(order).cloned())
    }

    async fn load(&self, id: &CheckoutId) -> Result<Option<CheckoutState>, StorageError> {
        self.gate().await;
        Ok(self.lock().checkouts.get(id).map(|slot| slot.record().clone()))
    }

    async fn durable(&self) -> Result<(), StorageError> {
        Ok(())
    }

    async fn unfinished(&self) -> Result<Vec<CheckoutId>, StorageError> {
        self.gate().await;
        let shop = self.lock();
        Ok(shop.checkouts.iter().filter(|(_, slot)| !slot.record().is_finished()).map(|(id, _)| id.clone()).collect())
    }

    /// Every checkout looked at: the in-memory shop is for tests and the model, not for size.
    async fn list(&self, query: &PhaseQuery) -> Result<Vec<Listed>, StorageError> {
        self.gate().await;
        let shop = self.lock();
        let mut listed: Vec<Listed> = shop
            .checkouts
            .iter()
            .map(|(id, slot)| Listed {
                checkout: id.clone(),
                order: slot.record().order().id().clone(),
                phase: slot.record().phase(),
                since_ms: shop.moved_at.get(id).copied().unwrap_or(0),
            })
            .filter(|l| l.phase == query.phase)
            .filter(|l| query.moved_before_ms.is_none_or(|before| l.since_ms < before))
            .filter(|l| query.after.as_ref().is_none_or(|after| l.position() > *after))
            .collect();
        listed.sort_by_key(Listed::position);
        listed.truncate(query.limit);
        Ok(listed)
    }
}

#[async_trait]
impl ShopAdmin for MemoryShop {
    async fn apply(&self, at_ms: u64, operation: &Operation) -> Result<(), AdminError> {
        let mut shop = self.lock();
        shop.stores.apply(operation)?;
        shop.operations.push(Recorded { at_ms, operation: operation.clone() });
        Ok(())
    }

    async fn operations(&self) -> Result<Vec<Recorded>, StorageError> {
        Ok(self.lock().operations.clone())
    }

    async fn balances(&self) -> Result<Balances, StorageError> {
        let shop = self.lock();
        let stores = &shop.stores;
        let stock = stores.inventory.stock.accounts().map(|(book, n)| (book.clone(), n)).collect();
        let funds = stores.wallets.accounts().map(|(user, n)| (user.clone(), n)).collect();
        let points = stores.points.accounts().map(|(user, n)| (user.clone(), n)).collect();
        let held = HeldTotals {
            stock: held_totals(&stores.inventory.stock),
            funds: held_totals(&stores.wallets),
            points: held_totals(&stores.points),
        };
        Ok(Balances { stock, funds, points, held })
    }

    async fn held(&self, id: &CheckoutId) -> Result<Held, StorageError> {
        let shop = self.lock();
        let key = |effect| EffectKey::new(id, effect);
        Ok(Held {
            stock: shop.stores.inventory.stock.held_by(&key(Effect::ReserveStock)),
            points: shop.stores.points.held_by(&key(Effect::RedeemPoints)),
            money: shop.stores.wallets.held_by(&key(Effect::Charge)),
        })
    }

    async fn checkouts(&self) -> Result<Vec<CheckoutState>, StorageError> {
        Ok(self.lock().checkouts.values().map(|slot| slot.record().clone()).collect())
    }
}

/// What keys hold of each account of `ledger`.
fn held_totals<A: Ord + Clone>(ledger: &checkout_domain::ledger::Ledger<A>) -> BTreeMap<A, u64> {
    ledger
        .accounts()
        .map(|(account, _)| (account.clone(), ledger.account(account).map_or(0, |(_, held)| held)))
        .collect()
}
