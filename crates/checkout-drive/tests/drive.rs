//! The runner's own decisions, with the repository mocked (mockall) and the stores in memory: a
//! save refused because another runner claimed the checkout stops this one at once; a save that
//! fails for want of storage is tried again until it goes through, and so is a claim; a courier
//! reply that is not the wait's is ignored; a lost reply ends the wait at its deadline.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use checkout_domain::fencing::{Fence, Lease, Superseded};
use checkout_domain::operation::{Operation, Recorded};
use checkout_domain::protocol::CallError;
use checkout_domain::registry::Admission;
use checkout_domain::{
    BookId, CheckoutId, CheckoutState, CourierId, EffectKey, Money, Order, OrderId, Outcome, Points, Quantity,
    TaskToken, UserId,
};
use checkout_drive::clock::ScaledClock;
use checkout_drive::{CourierAnswer, DriveError, Runner};
use checkout_engine::{Engine, Policy};
use checkout_memory::MemoryShop;
use checkout_ports::*;

/// The in-memory shop's stores and queue, with a mocked repository.
struct Split {
    stores: MemoryShop,
    repository: MockCheckoutRepository,
}

#[async_trait]
impl StockStore for Split {
    async fn reserve(
        &self,
        f: Fence,
        k: &EffectKey,
        b: &BookId,
        q: Quantity,
    ) -> Result<Result<checkout_domain::protocol::StockReservation, checkout_domain::protocol::Unavailable>, PortError>
    {
        self.stores.reserve(f, k, b, q).await
    }
    async fn release(
        &self,
        f: Fence,
        k: &EffectKey,
        b: &BookId,
        q: Quantity,
    ) -> Result<checkout_domain::protocol::StockReleased, PortError> {
        self.stores.release(f, k, b, q).await
    }
}
#[async_trait]
impl PointsStore for Split {
    async fn redeem(
        &self,
        f: Fence,
        k: &EffectKey,
        u: &UserId,
        p: Points,
    ) -> Result<checkout_domain::protocol::PointsRedemption, PortError> {
        self.stores.redeem(f, k, u, p).await
    }
    async fn restore(
        &self,
        f: Fence,
        k: &EffectKey,
        u: &UserId,
        p: Points,
    ) -> Result<checkout_domain::protocol::PointsRestored, PortError> {
        self.stores.restore(f, k, u, p).await
    }
}
#[async_trait]
impl PaymentService for Split {
    async fn charge(
        &self,
        f: Fence,
        k: &EffectKey,
        u: &UserId,
        a: Money,
    ) -> Result<checkout_domain::protocol::ChargeReceipt, PortError> {
        self.stores.charge(f, k, u, a).await
    }
    async fn refund(
        &self,
        f: Fence,
        k: &EffectKey,
        u: &UserId,
        a: Money,
    ) -> Result<checkout_domain::protocol::RefundReceipt, PortError> {
        self.stores.refund(f, k, u, a).await
    }
}
#[async_trait]
impl Notifier for Split {
    async fn notify(&self, f: Fence, k: &EffectKey, c: &CourierId, o: &Order) -> Result<(), PortError> {
        self.stores.notify(f, k, c, o).await
    }
}
#[async_trait]
impl CourierQueue for Split {
    async fn send(&self, r: &CourierRequest) -> Result<(), CallError> {
        self.stores.send(r).await
    }
}
#[async_trait]
impl CourierInbox for Split {
    async fn take(&self, max: usize) -> Result<Vec<CourierRequest>, StorageError> {
        self.stores.take(max).await
    }
}
#[async_trait]
impl Journal for Split {
    async fn record(&self, id: &CheckoutId, e: JournalEntry) -> Result<(), StorageError> {
        self.stores.record(id, e).await
    }
    async fn history(&self, id: &CheckoutId) -> Result<Vec<JournalEntry>, StorageError> {
        self.stores.history(id).await
    }
}
#[async_trait]
impl ShopAdmin for Split {
    async fn apply(&self, at_ms: u64, operation: &Operation) -> Result<(), AdminError> {
        self.stores.apply(at_ms, operation).await
    }
    async fn operations(&self) -> Result<Vec<Recorded>, StorageError> {
        self.stores.operations().await
    }
    async fn balances(&self) -> Result<Balances, StorageError> {
        self.stores.balances().await
    }
    async fn held(&self, id: &CheckoutId) -> Result<Held, StorageError> {
        self.stores.held(id).await
    }
    async fn checkouts(&self) -> Result<Vec<CheckoutState>, StorageError> {
        self.stores.checkouts().await
    }
}
#[async_trait]
impl CheckoutRepository for Split {
    async fn admit(&self, o: &Order, fresh: CheckoutId, lease: Lease) -> Result<Admission, AdmitError> {
        self.repository.admit(o, fresh, lease).await
    }
    async fn claim(&self, id: &CheckoutId, lease: Lease) -> Result<Option<(Fence, CheckoutState)>, StorageError> {
        self.repository.claim(id, lease).await
    }
    async fn take_over(
        &self,
        id: &CheckoutId,
        now: u64,
        l: Lease,
    ) -> Result<Option<(Fence, CheckoutState)>, StorageError> {
        self.repository.take_over(id, now, l).await
    }
    async fn renew(&self, held: &[(CheckoutId, Fence)], lease: Lease) -> Result<Vec<CheckoutId>, StorageError> {
        self.repository.renew(held, lease).await
    }
    async fn lapsed(&self, now_ms: u64) -> Result<Vec<CheckoutId>, StorageError> {
        self.repository.lapsed(now_ms).await
    }
    async fn save(&self, id: &CheckoutId, f: Fence, c: &CheckoutState, s: &[JournalEntry]) -> Result<(), SaveError> {
        self.repository.save(id, f, c, s).await
    }
    async fn checkout_of(&self, order: &OrderId) -> Result<Option<CheckoutId>, StorageError> {
        self.repository.checkout_of(order).await
    }
    async fn load(&self, id: &CheckoutId) -> Result<Option<CheckoutState>, StorageError> {
        self.repository.load(id).await
    }
    async fn unfinished(&self) -> Result<Vec<CheckoutId>, StorageError> {
        self.repository.unfinished().await
    }
    async fn durable(&self) -> Result<(), StorageError> {
        self.repository.durable().await
    }
}

fn placed() -> CheckoutState {
    let order = Order::from_json(r#"{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":1}"#).unwrap();
    CheckoutState::start(CheckoutId::new("ck-1").unwrap(), order)
}

async fn runner(repository: MockCheckoutRepository) -> Arc<Runner<Split>> {
    let stores = MemoryShop::new();
    stores.stock_book(&BookId::new("b-1").unwrap(), 3, Money::from_minor_units(30)).await.unwrap();
    stores.open_customer(&UserId::new("u-1").unwrap(), 100, 0).await.unwrap();
    let shop = Arc::new(Split { stores, repository });
    Arc::new(Runner::new(shop, Engine::new(Policy::default(), 1), ScaledClock::new(100_000)))
}

#[tokio::test]
async fn a_superseded_save_stops_the_runner_at_once() {
    let mut repository = MockCheckoutRepository::new();
    repository.expect_claim().times(1).returning(|_, _| Ok(Some((Fence::FIRST, placed()))));
    repository.expect_save().times(1).returning(|_, _, _, _| Err(Superseded { held: 1, current: 2 }.into()));
    let runner = runner(repository).await;
    let stopped = runner.drive(&CheckoutId::new("ck-1").unwrap()).await;
    assert!(matches!(stopped, Err(DriveError::Superseded(_))), "{stopped:?}");
    let held = runner.shop().held(&CheckoutId::new("ck-1").unwrap()).await.unwrap();
    assert_eq!(held.stock, 1, "the reservation it made is kept for the runner that took over to replay");
}

#[tokio::test]
async fn a_save_that_fails_for_want_of_storage_is_tried_until_it_goes_through() {
    let saved: Arc<Mutex<Vec<String>>> = Arc::default();
    let failures = Arc::new(Mutex::new(2));
    let mut repository = MockCheckoutRepository::new();
    repository.expect_claim().times(1).returning(|_, _| Ok(Some((Fence::FIRST, placed()))));
    let (log, left) = (Arc::clone(&saved), Arc::clone(&failures));
    repository.expect_save().returning(move |_, _, checkout, _| {
        let mut left = left.lock().unwrap();
        if *left > 0 {
            *left -= 1;
            return Err(StorageError("disk full".into()).into());
        }
        log.lock().unwrap().push(checkout.phase().to_string());
        Ok(())
    });
    let runner = runner(repository).await;
    let worker = {
        let runner = Arc::clone(&runner);
        tokio::spawn(async move {
            loop {
                for request in runner.shop().take(8).await.unwrap() {
                    // A forged answer first: the wait ignores it.
                    runner.deliver(
                        TaskToken::new("forged").unwrap(),
                        CourierAnswer::Assigned(CourierId::new("x").unwrap()),
                    );
                    runner.deliver(request.token, CourierAnswer::Assigned(CourierId::new("c-1").unwrap()));
                }
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            }
        })
    };
    let outcome = runner.drive(&CheckoutId::new("ck-1").unwrap()).await.unwrap();
    worker.abort();
    assert_eq!(outcome, Outcome::Dispatched);
    assert_eq!(*failures.lock().unwrap(), 0, "both failures were met and retried");
    assert_eq!(saved.lock().unwrap().as_slice(), ["billing", "preparing-order", "notifying-courier", "dispatched"]);
}

#[tokio::test]
async fn a_lost_courier_reply_ends_the_wait_at_its_deadline() {
    let mut repository = MockCheckoutRepository::new();
    repository.expect_claim().times(1).returning(|_, _| Ok(Some((Fence::FIRST, placed()))));
    repository.expect_save().returning(|_, _, _, _| Ok(()));
    // Nobody answers the courier request: at 100,000x, the 15-minute deadline is 9 ms away.
    let runner = runner(repository).await;
    let outcome = runner.drive(&CheckoutId::new("ck-1").unwrap()).await.unwrap();
    assert_eq!(outcome, Outcome::Compensated);
    let held = runner.shop().held(&CheckoutId::new("ck-1").unwrap()).await.unwrap();
    assert_eq!((held.stock, held.money), (0, 0), "refunded and restocked");
}

#[tokio::test]
async fn a_claim_that_fails_for_want_of_storage_is_tried_again() {
    let failures = Arc::new(Mutex::new(2));
    let left = Arc::clone(&failures);
    let mut repository = MockCheckoutRepository::new();
    repository.expect_claim().returning(move |_, _| {
        let mut left = left.lock().unwrap();
        if *left > 0 {
            *left -= 1;
            return Err(StorageError("database is locked".into()));
        }
        Ok(Some((Fence::FIRST, placed())))
    });
    repository.expect_save().returning(|_, _, _, _| Ok(()));
    let runner = runner(repository).await;
    let outcome = runner.drive(&CheckoutId::new("ck-1").unwrap()).await.unwrap();
    assert_eq!(outcome, Outcome::Compensated, "it ran (and, with no courier worker, timed out)");
    assert_eq!(*failures.lock().unwrap(), 0);
}

#[tokio::test]
async fn a_worker_in_process_is_handed_each_courier_request_as_it_is_sent() {
    let shop = MemoryShop::new();
    shop.stock_book(&BookId::new("b-1").unwrap(), 3, Money::from_minor_units(30)).await.unwrap();
    shop.open_customer(&UserId::new("u-1").unwrap(), 100, 0).await.unwrap();
    let order = placed().order().clone();
    let id = shop.admit(&order, CheckoutId::new("ck-1").unwrap(), Lease::LAPSED).await.unwrap().checkout().clone();
    let runner = Arc::new(Runner::new(Arc::new(shop), Engine::new(Policy::default(), 1), ScaledClock::new(100_000)));
    let mut handed = runner.hand_courier_requests();
    let driving = {
        let runner = Arc::clone(&runner);
        tokio::spawn(async move { runner.drive(&id).await })
    };
    let request = handed.recv().await.expect("the request is handed over");
    assert_eq!(request.order, order);
    assert_eq!(runner.shop().take(10).await.unwrap(), std::slice::from_ref(&request), "and it is on the queue too");
    runner.deliver(request.token, CourierAnswer::Assigned(CourierId::new("c-1").unwrap()));
    assert_eq!(driving.await.unwrap().unwrap(), Outcome::Dispatched);
}

/// A flood of courier replies for tokens nobody waits for (forged, or another runner's) keeps at
/// most `MAX_EARLY` in memory, oldest dropped first, however long the flood. (Before, 100,000 were
/// kept, each with whatever detail the sender wrote, and once full every newcomer was dropped,
/// real early replies included.)
#[tokio::test]
async fn a_flood_of_forged_courier_replies_is_bounded() {
    let runner = runner(MockCheckoutRepository::new()).await;
    for n in 0..5_000 {
        let token = TaskToken::new(format!("forged-{n:04}")).unwrap();
        assert!(!runner.deliver(token, CourierAnswer::Unavailable("no".into())), "nobody waits for it");
    }
    assert_eq!(runner.early_replies(), checkout_drive::MAX_EARLY);
}
