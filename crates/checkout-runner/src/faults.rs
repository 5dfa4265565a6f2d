//! A shop that fails on purpose: wrapped around a real one, it makes store calls fail before they
//! take effect, lose their reply after they took effect, declines charges, and refuses refunds
//! and courier notices for good, at the rates asked for. The crash test and the demo run through it; the repository, the journal and the
//! queue are passed through untouched.

use std::sync::Mutex;

use async_trait::async_trait;
use checkout_domain::fencing::{Fence, Lease};
use checkout_domain::operation::{Operation, Recorded};
use checkout_domain::protocol::CallError;
use checkout_domain::registry::Admission;
use checkout_domain::{CheckoutId, CheckoutState, Command, CourierId, EffectKey, Event, Order, OrderId};
use checkout_ports::{
    AdminError, AdmitError, Balances, CheckoutRepository, CourierInbox, CourierQueue, CourierRequest, Held, Journal,
    JournalEntry, KeyedStores, Notifier, PortError, SaveError, ShopAdmin, StorageError,
};

/// How often each fault happens, as a probability per call.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FaultRates {
    /// A store call fails before it takes effect.
    pub transient: f64,
    /// A store call takes effect and its reply is lost.
    pub lost_reply: f64,
    /// A charge is declined for good.
    pub decline: f64,
    /// A refund is refused for good (a closed card): the checkout is raised for an operator.
    pub refused_refund: f64,
    /// The courier notice is refused for good: the checkout is raised for an operator, with
    /// everything held.
    pub refused_notice: f64,
}

/// `inner`, failing at `rates`.
pub struct Faulty<S> {
    inner: S,
    rates: FaultRates,
    rng: Mutex<fastrand::Rng>,
}

impl<S> Faulty<S> {
    pub fn new(inner: S, rates: FaultRates, seed: u64) -> Faulty<S> {
        Faulty { inner, rates, rng: Mutex::new(fastrand::Rng::with_seed(seed)) }
    }

    fn roll(&self, probability: f64) -> bool {
        probability > 0.0 && self.rng.lock().unwrap_or_else(|p| p.into_inner()).f64() < probability
    }

    fn before(&self) -> Result<(), PortError> {
        if self.roll(self.rates.transient) {
            return Err(CallError::NotDone("injected: failed before taking effect".into()).into());
        }
        Ok(())
    }

    fn after<T>(&self, result: Result<T, PortError>) -> Result<T, PortError> {
        if result.is_ok() && self.roll(self.rates.lost_reply) {
            return Err(CallError::Unknown("injected: took effect, reply lost".into()).into());
        }
        result
    }
}

#[async_trait]
impl<S: KeyedStores> KeyedStores for Faulty<S> {
    async fn perform(&self, fence: Fence, command: &Command, now_ms: u64) -> Result<Event, PortError> {
        if matches!(command, Command::Charge { .. }) && self.roll(self.rates.decline) {
            return Err(CallError::Refused("injected: card declined".into()).into());
        }
        if matches!(command, Command::Refund { .. }) && self.roll(self.rates.refused_refund) {
            return Err(CallError::Refused("injected: card closed, refund refused".into()).into());
        }
        self.before()?;
        self.after(self.inner.perform(fence, command, now_ms).await)
    }
}

#[async_trait]
impl<S: Notifier> Notifier for Faulty<S> {
    async fn notify(&self, fence: Fence, key: &EffectKey, courier: &CourierId, order: &Order) -> Result<(), PortError> {
        if self.roll(self.rates.refused_notice) {
            return Err(CallError::Refused("injected: notification topic refused the notice".into()).into());
        }
        self.before()?;
        self.after(self.inner.notify(fence, key, courier, order).await)
    }
}

#[async_trait]
impl<S: CourierQueue> CourierQueue for Faulty<S> {
    async fn send(&self, request: &CourierRequest) -> Result<(), CallError> {
        self.inner.send(request).await
    }
}

#[async_trait]
impl<S: CourierInbox> CourierInbox for Faulty<S> {
    async fn take(&self, max: usize) -> Result<Vec<CourierRequest>, StorageError> {
        self.inner.take(max).await
    }
}

#[async_trait]
impl<S: CheckoutRepository> CheckoutRepository for Faulty<S> {
    async fn admit(&self, order: &Order, fresh: CheckoutId, lease: Lease) -> Result<Admission, AdmitError> {
        self.inner.admit(order, fresh, lease).await
    }
    async fn claim(&self, id: &CheckoutId, lease: Lease) -> Result<Option<(Fence, CheckoutState)>, StorageError> {
        self.inner.claim(id, lease).await
    }
    async fn take_over(
        &self,
        id: &CheckoutId,
        now_ms: u64,
        lease: Lease,
    ) -> Result<Option<(Fence, CheckoutState)>, StorageError> {
        self.inner.take_over(id, now_ms, lease).await
    }
    async fn renew(&self, held: &[(CheckoutId, Fence)], lease: Lease) -> Result<Vec<CheckoutId>, StorageError> {
        self.inner.renew(held, lease).await
    }
    async fn lapsed(&self, now_ms: u64) -> Result<Vec<CheckoutId>, StorageError> {
        self.inner.lapsed(now_ms).await
    }
    async fn save(
        &self,
        id: &CheckoutId,
        fence: Fence,
        checkout: &CheckoutState,
        steps: &[JournalEntry],
    ) -> Result<(), SaveError> {
        self.inner.save(id, fence, checkout, steps).await
    }
    async fn checkout_of(&self, order: &OrderId) -> Result<Option<CheckoutId>, StorageError> {
        self.inner.checkout_of(order).await
    }
    async fn load(&self, id: &CheckoutId) -> Result<Option<CheckoutState>, StorageError> {
        self.inner.load(id).await
    }
    async fn unfinished(&self) -> Result<Vec<CheckoutId>, StorageError> {
        self.inner.unfinished().await
    }

    async fn list(
        &self,
        query: &checkout_ports::listing::PhaseQuery,
    ) -> Result<Vec<checkout_ports::listing::Listed>, StorageError> {
        self.inner.list(query).await
    }

    async fn durable(&self) -> Result<(), StorageError> {
        self.inner.durable().await
    }
}

#[async_trait]
impl<S: Journal> Journal for Faulty<S> {
    async fn record(&self, id: &CheckoutId, entry: JournalEntry) -> Result<(), StorageError> {
        self.inner.record(id, entry).await
    }
    async fn history(&self, id: &CheckoutId) -> Result<Vec<JournalEntry>, StorageError> {
        self.inner.history(id).await
    }
}

#[async_trait]
impl<S: ShopAdmin> ShopAdmin for Faulty<S> {
    async fn apply(&self, at_ms: u64, operation: &Operation) -> Result<(), AdminError> {
        self.inner.apply(at_ms, operation).await
    }
    async fn operations(&self) -> Result<Vec<Recorded>, StorageError> {
        self.inner.operations().await
    }
    async fn balances(&self) -> Result<Balances, StorageError> {
        self.inner.balances().await
    }
    async fn held(&self, id: &CheckoutId) -> Result<Held, StorageError> {
        self.inner.held(id).await
    }
    async fn checkouts(&self) -> Result<Vec<CheckoutState>, StorageError> {
        self.inner.checkouts().await
    }
}
