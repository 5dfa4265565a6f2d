//! The port traits and their errors.

use async_trait::async_trait;
use checkout_domain::fencing::{Fence, Lease, Superseded};
use checkout_domain::operation::{Operation, Recorded, Refused};
use checkout_domain::protocol::CallError;
use checkout_domain::registry::{Admission, Conflict};
use checkout_domain::stores::Store;
use checkout_domain::{
    BookId, CheckoutId, CheckoutState, Command, CourierId, Effect, EffectKey, Event, Money, Order, OrderId,
};
use checkout_domain::{TaskToken, UserId};

/// Why the stores, the notifier or the courier queue did not answer a command.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PortError {
    /// The call failed; the engine decides from its kind whether to retry, give up or compensate.
    #[error(transparent)]
    Call(#[from] CallError),
    /// A newer incarnation of the checkout has acted: this one must stop acting for it.
    #[error(transparent)]
    Superseded(#[from] Superseded),
}

/// Why the storage behind the repository, the journal or the queue did not answer. Nothing was
/// acknowledged: the step is tried again later. What the variants tell apart is what an operator
/// does about it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// The storage did not take the call: a locked or missing database, a full disk, a dropped
    /// connection, throttling. The driver's own words follow.
    #[error("storage failed: {0}")]
    Failed(String),
    /// Every attempt lost a race with other writers of the same items.
    #[error("storage contended: {0}: every attempt lost a race")]
    Contended(String),
    /// What the storage holds cannot be read as the shop wrote it.
    #[error("storage holds what the shop cannot read: {0}")]
    Corrupt(String),
    /// More than one write can carry (a transaction's item limit).
    #[error("too much for one write: {0}")]
    TooLarge(String),
    /// A checkout was claimed so often that no fence is left to give a new claim.
    #[error(transparent)]
    FencesExhausted(#[from] checkout_domain::fencing::FencesExhausted),
    /// The store's own worker (the SQLite writer, its readers) has stopped.
    #[error("storage stopped: {0}")]
    Stopped(&'static str),
}

/// Why a checkout could not be saved.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SaveError {
    #[error(transparent)]
    Superseded(#[from] Superseded),
    #[error("no checkout {0} to save")]
    Missing(CheckoutId),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Why an order was not admitted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AdmitError {
    #[error(transparent)]
    Conflict(#[from] Conflict),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// The shop's own stores: copies on the shelf, loyalty points and the customers' wallets, behind
/// one fence book. One call performs one store command (reserve, release, redeem, restore,
/// charge, refund) for the incarnation holding `fence`, by the store rules of
/// [`checkout_domain::stores`], in one atomic step, and answers the event those rules give,
/// which goes to the engine as it is: a take happens at most once per key, a give-back returns
/// exactly what its key took, once, and a superseded fence changes nothing
/// ([`PortError::Superseded`]). `now_ms` is when the reply arrives (it starts the courier
/// deadline after a charge).
///
/// Payments are one of these stores: the wallets are a ledger like stock, fenced like it. A real
/// payment provider, or any outside service, would be a typed port of its own, like
/// [`Notifier`] and [`CourierQueue`] (the courier service).
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait KeyedStores: Send + Sync {
    /// Performs `command`, a store command; any other is refused for good
    /// ([`NotAStoreCommand`]).
    async fn perform(&self, fence: Fence, command: &Command, now_ms: u64) -> Result<Event, PortError>;
}

/// A command no store answers (the courier request and notice) sent to the stores.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0} is not a store command")]
pub struct NotAStoreCommand(pub String);

impl NotAStoreCommand {
    /// The store that answers `command`, or why `command` is no store's: what every adapter's
    /// [`KeyedStores::perform`] checks before it touches anything (a courier notice sent there
    /// must not raise a fence mark).
    pub fn check(command: &Command) -> Result<Store, NotAStoreCommand> {
        Store::for_command(command).ok_or_else(|| NotAStoreCommand(command.name()))
    }
}

impl From<NotAStoreCommand> for PortError {
    fn from(e: NotAStoreCommand) -> PortError {
        PortError::Call(CallError::Refused(e.to_string()))
    }
}

/// Tells the assigned courier to collect an order, once per key.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait Notifier: Send + Sync {
    async fn notify(&self, fence: Fence, key: &EffectKey, courier: &CourierId, order: &Order) -> Result<(), PortError>;
}

/// A courier request on its way to the worker, as every queue carries it: the JSON object
/// `{"waitToken", "order", "deadlineMs"}`, alone on the runner's queue and inside the message Step
/// Functions sends (`checkout_stepfn::contract::CourierMessage`). The wait's token is `waitToken`
/// wherever it travels.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CourierRequest {
    #[serde(rename = "waitToken")]
    pub token: TaskToken,
    pub order: Order,
    pub deadline_ms: u64,
}

impl CourierRequest {
    /// The request a `RequestCourier` command sends; `None` for any other command.
    pub fn of(command: &checkout_domain::Command) -> Option<CourierRequest> {
        match command {
            checkout_domain::Command::RequestCourier { token, order, deadline_ms } => {
                Some(CourierRequest { token: token.clone(), order: order.clone(), deadline_ms: *deadline_ms })
            }
            _ => None,
        }
    }
}

/// Carries courier requests to the worker, at least once.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait CourierQueue: Send + Sync {
    async fn send(&self, request: &CourierRequest) -> Result<(), CallError>;
}

/// Where checkouts are kept: the order registry, and each checkout with its latest claim.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait CheckoutRepository: Send + Sync {
    /// Admits `order` by the registry's rules (`checkout_domain::registry`): a new order opens a
    /// checkout under `fresh`, saved as placed; the same order again gets its checkout; another
    /// order under a known id is refused. A new checkout is held by its admitter under `lease`.
    async fn admit(&self, order: &Order, fresh: CheckoutId, lease: Lease) -> Result<Admission, AdmitError>;

    /// Claims the checkout for a new incarnation, held under `lease`: its fence, and the
    /// checkout as saved.
    async fn claim(&self, id: &CheckoutId, lease: Lease) -> Result<Option<(Fence, CheckoutState)>, StorageError>;

    /// Claims the checkout under `lease` only if the lease of its latest claim has lapsed by
    /// `now_ms` ([`checkout_domain::fencing::Slot::take_over`]), in one atomic step: of runners
    /// sweeping at once, one takes it. `None` if it has not lapsed, or there is no such checkout.
    async fn take_over(
        &self,
        id: &CheckoutId,
        now_ms: u64,
        lease: Lease,
    ) -> Result<Option<(Fence, CheckoutState)>, StorageError>;

    /// Extends to `lease` the hold of each checkout's incarnation in `held`; answers those it
    /// could not renew, because a newer incarnation claimed them (or they are gone).
    async fn renew(&self, held: &[(CheckoutId, Fence)], lease: Lease) -> Result<Vec<CheckoutId>, StorageError>;

    /// The unfinished checkouts whose lease has lapsed by `now_ms`: those nobody drives, whose
    /// holder died or lost touch. A store that reads an index updated a moment late may list one
    /// that was just renewed or ended; [`CheckoutRepository::take_over`] decides.
    async fn lapsed(&self, now_ms: u64) -> Result<Vec<CheckoutId>, StorageError>;

    /// Saves the checkout for the incarnation holding `fence`, unless it was claimed since, and
    /// journals the steps that led to it (a step and the pure steps taken with it), in one atomic
    /// write: steps are saved with their journal entries or not at all.
    async fn save(
        &self,
        id: &CheckoutId,
        fence: Fence,
        checkout: &CheckoutState,
        steps: &[JournalEntry],
    ) -> Result<(), SaveError>;

    /// The checkout opened for order `order`, from the order registry: one keyed read, whatever
    /// the shop holds. Order ids and checkout ids are two namespaces: an order whose id looks
    /// like a checkout's names its own checkout, never that one.
    async fn checkout_of(&self, order: &OrderId) -> Result<Option<CheckoutId>, StorageError>;

    /// The checkout as saved, without claiming it.
    async fn load(&self, id: &CheckoutId) -> Result<Option<CheckoutState>, StorageError>;

    /// Every checkout that has not ended, to resume after a restart.
    async fn unfinished(&self) -> Result<Vec<CheckoutId>, StorageError>;

    /// One phase's page of checkouts, read from an index, never a scan: those in `query.phase`
    /// after `query.after` that last moved before `query.moved_before_ms`, in `(since_ms,
    /// checkout)` order, at most `query.limit` ([`crate::listing`] walks phases with it). A
    /// checkout's `since_ms` is the time of the last journal step saved with it; an index
    /// updated a moment late (DynamoDB's) may list one in the phase it just left.
    async fn list(&self, query: &crate::listing::PhaseQuery) -> Result<Vec<crate::listing::Listed>, StorageError>;

    /// Returns once everything written before the call is on disk. What a runner awaits before
    /// it acknowledges anything to a client: a store may answer its calls before their writes
    /// are on disk (the SQLite shop does, keeping the writes in order so that a power cut loses
    /// only a tail of them), but never a client. Required, so that no wrapper forgets it.
    async fn durable(&self) -> Result<(), StorageError>;
}

/// The time, in milliseconds since the epoch.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait Clock: Send + Sync {
    fn now_ms(&self) -> u64;
}

/// What the shop holds, as an audit or a test reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Balances {
    /// Copies on the shelf, per book.
    pub stock: std::collections::BTreeMap<BookId, u64>,
    /// Spendable funds, per customer.
    pub funds: std::collections::BTreeMap<UserId, u64>,
    /// Loyalty points, per customer.
    pub points: std::collections::BTreeMap<UserId, u64>,
    /// What effect keys hold in all, per account of each of the three: the audit checks that
    /// the checkouts' own holdings add up to it.
    pub held: HeldTotals,
}

impl Balances {
    /// Adds one account as a store lists it: the ledger it is in (`stock`, `funds` or
    /// `points`), its id, what can be taken, and what keys hold of it.
    pub fn add(&mut self, ledger: &str, account: &str, balance: u64, held: u64) -> Result<(), LedgerRowError> {
        let bad =
            |source| LedgerRowError::BadAccount { ledger: ledger.to_string(), account: account.to_string(), source };
        match ledger {
            "stock" => {
                let book = BookId::new(account).map_err(bad)?;
                self.held.stock.insert(book.clone(), held);
                self.stock.insert(book, balance);
            }
            "funds" | "points" => {
                let user = UserId::new(account).map_err(bad)?;
                let (balances, held_totals) = if ledger == "funds" {
                    (&mut self.funds, &mut self.held.funds)
                } else {
                    (&mut self.points, &mut self.held.points)
                };
                held_totals.insert(user.clone(), held);
                balances.insert(user, balance);
            }
            other => return Err(LedgerRowError::UnknownLedger(other.to_string())),
        }
        Ok(())
    }
}

/// What effect keys hold in all, per account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeldTotals {
    pub stock: std::collections::BTreeMap<BookId, u64>,
    pub funds: std::collections::BTreeMap<UserId, u64>,
    pub points: std::collections::BTreeMap<UserId, u64>,
}

/// What one checkout's keys hold now: copies, points and money taken and not given back.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Held {
    pub stock: u64,
    pub points: u64,
    pub money: u64,
}

impl Held {
    /// Counts `amount` taken under `key` from `ledger` (`stock`, `points` or `funds`) and not
    /// given back; a key of another effect holds nothing here.
    pub fn add(&mut self, ledger: &str, key: &EffectKey, amount: u64) -> Result<(), LedgerRowError> {
        let slot = match (ledger, key.effect()) {
            ("stock", Effect::ReserveStock) => &mut self.stock,
            ("points", Effect::RedeemPoints) => &mut self.points,
            ("funds", Effect::Charge) => &mut self.money,
            _ => {
                let (key, ledger) = (key.clone(), ledger.to_string());
                return Err(LedgerRowError::WrongLedger { key, amount, ledger });
            }
        };
        *slot = slot.checked_add(amount).ok_or_else(|| LedgerRowError::Overflow(key.clone()))?;
        Ok(())
    }
}

/// A row a store lists that no account or hold of this shop can be: the adapters report the
/// row it came from as corrupt ([`StorageError::Corrupt`]).
#[derive(Debug, thiserror::Error)]
pub enum LedgerRowError {
    #[error("account {account:?} of {ledger}: {source}")]
    BadAccount { ledger: String, account: String, source: checkout_domain::OrderError },
    #[error("unknown ledger {0:?}")]
    UnknownLedger(String),
    #[error("{key} holds {amount} of the {ledger} ledger, which no take of its effect does")]
    WrongLedger { key: EffectKey, amount: u64, ledger: String },
    #[error("{0} holds past u64")]
    Overflow(EffectKey),
}

/// An operator's action refused, or not done.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Refused(#[from] Refused),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Adding to the shop's supply and reading it back: what `checkout init`, `restock`, `credit`
/// and `audit` use.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait ShopAdmin: Send + Sync {
    /// Adds what `operation` adds (never sets an amount) and journals it, in one atomic write;
    /// checked first by [`Operation::check`], and refused unchanged if it fails.
    async fn apply(&self, at_ms: u64, operation: &Operation) -> Result<(), AdminError>;
    /// Every operation applied, in the order they were.
    async fn operations(&self) -> Result<Vec<Recorded>, StorageError>;
    /// Adds `copies` of `book` at `unit_price` (a new book is put on the shelf), journaled at 0:
    /// for stocking a new shop.
    async fn stock_book(&self, book: &BookId, copies: u32, unit_price: Money) -> Result<(), AdminError> {
        let restock = Operation::Restock { book: book.clone(), copies: u64::from(copies), price: Some(unit_price) };
        self.apply(0, &restock).await
    }
    /// Adds `funds` and `points` to `user` (a new one is opened), journaled at 0: for stocking a
    /// new shop.
    async fn open_customer(&self, user: &UserId, funds: u64, points: u64) -> Result<(), AdminError> {
        self.apply(0, &Operation::Credit { user: user.clone(), funds, points }).await
    }
    async fn balances(&self) -> Result<Balances, StorageError>;
    /// What the keys of checkout `id` hold.
    async fn held(&self, id: &CheckoutId) -> Result<Held, StorageError>;
    /// What the keys of every checkout hold (one whose keys hold nothing may be left out): for
    /// the audit, which would otherwise read each checkout's keys in a round trip of its own.
    /// By default, [`ShopAdmin::held`] for each checkout; a store that can read every key at
    /// once does.
    async fn held_by_checkout(&self) -> Result<std::collections::BTreeMap<CheckoutId, Held>, StorageError> {
        let mut held = std::collections::BTreeMap::new();
        for checkout in self.checkouts().await? {
            let of = self.held(checkout.id()).await?;
            held.insert(checkout.id().clone(), of);
        }
        Ok(held)
    }
    /// Every checkout, as saved, in id order.
    async fn checkouts(&self) -> Result<Vec<CheckoutState>, StorageError>;
}

/// Everything a shop provides: what a runner drives checkouts against.
pub trait Shop:
    KeyedStores + Notifier + CourierQueue + CourierInbox + CheckoutRepository + Journal + ShopAdmin + 'static
{
    /// The ports a checkout's commands go to, all this shop.
    fn adapters(&self) -> crate::Adapters<'_>
    where
        Self: Sized,
    {
        crate::Adapters { stores: self, notifier: self, courier: self }
    }
}

impl<T> Shop for T where
    T: KeyedStores + Notifier + CourierQueue + CourierInbox + CheckoutRepository + Journal + ShopAdmin + 'static
{
}

/// One step of a checkout as the journal keeps it: when, what was done, what came of it, and
/// which attempt it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalEntry {
    pub at_ms: u64,
    /// The command or step (`reserve-stock`, `compute`, `deadline`, ...).
    pub step: String,
    /// What came of it: the event's name, or the failure.
    pub outcome: String,
    /// The phase the checkout was in after the step.
    pub phase: String,
    /// Which attempt of the step this was, from 1.
    pub attempt: u32,
}

/// Every step of every checkout, in order: what `checkout history` shows.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait Journal: Send + Sync {
    async fn record(&self, id: &CheckoutId, entry: JournalEntry) -> Result<(), StorageError>;
    async fn history(&self, id: &CheckoutId) -> Result<Vec<JournalEntry>, StorageError>;
}

/// The worker's side of the courier queue: takes requests off it.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait CourierInbox: Send + Sync {
    /// Takes up to `max` requests off the queue, oldest first.
    async fn take(&self, max: usize) -> Result<Vec<CourierRequest>, StorageError>;
}
