//! The runner's own decisions, with the repository mocked (mockall) and the stores in memory: a
//! save refused because another runner claimed the checkout stops this one at once; a save that
//! fails for want of storage is tried again until it goes through, and so is a claim; a courier
//! reply that is not the wait's is ignored; a lost reply ends the wait at its deadline; storage that
//! fails is waited out with growing waits, and said to fail meanwhile; nothing ended or kept by a
//! host is renewed.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use checkout_domain::fencing::{Fence, Lease, Superseded};
use checkout_domain::operation::{Operation, Recorded};
use checkout_domain::protocol::CallError;
use checkout_domain::registry::Admission;
use checkout_domain::{
    BookId, CheckoutId, CheckoutState, Command, CourierId, EffectKey, Event, Money, Order, OrderId, Outcome, TaskToken,
    UserId,
};
use checkout_drive::world::RealWorld;
use checkout_drive::{CourierAnswer, DriveError, Driver};
use checkout_engine::{Engine, Policy};
use checkout_memory::MemoryShop;
use checkout_ports::*;

/// What a courier that answers at once does with a request.
type Answering = Box<dyn Fn(&CourierRequest) + Send + Sync>;

/// The in-memory shop's stores and queue, with a mocked repository.
struct Split {
    stores: MemoryShop,
    repository: MockCheckoutRepository,
    /// Called with each courier request once it is on the queue: a courier that answers at once.
    on_send: std::sync::OnceLock<Answering>,
}

#[async_trait]
impl KeyedStores for Split {
    async fn perform(&self, f: Fence, command: &Command, now_ms: u64) -> Result<Event, PortError> {
        self.stores.perform(f, command, now_ms).await
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
        self.stores.send(r).await?;
        if let Some(answer) = self.on_send.get() {
            answer(r);
        }
        Ok(())
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

    async fn list(
        &self,
        query: &checkout_ports::listing::PhaseQuery,
    ) -> Result<Vec<checkout_ports::listing::Listed>, StorageError> {
        self.repository.list(query).await
    }
    async fn durable(&self) -> Result<(), StorageError> {
        self.repository.durable().await
    }
}

fn placed() -> CheckoutState {
    let order = Order::from_json(r#"{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":1}"#).unwrap();
    CheckoutState::start(CheckoutId::new("ck-1").unwrap(), order)
}

async fn runner(repository: MockCheckoutRepository) -> Arc<Driver<Split>> {
    let stores = MemoryShop::new();
    stores.stock_book(&BookId::new("b-1").unwrap(), 3, Money::from_minor_units(30)).await.unwrap();
    stores.open_customer(&UserId::new("u-1").unwrap(), 100, 0).await.unwrap();
    let shop = Arc::new(Split { stores, repository, on_send: std::sync::OnceLock::new() });
    Arc::new(Driver::new(shop, Engine::new(Policy::default(), 1), RealWorld::new(100_000)))
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
            return Err(StorageError::Failed("disk full".into()).into());
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
            return Err(StorageError::Failed("database is locked".into()));
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
    let runner = Arc::new(Driver::new(Arc::new(shop), Engine::new(Policy::default(), 1), RealWorld::new(100_000)));
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

/// The real clock at 100,000x, writing down every wait the runner asks of it.
#[derive(Default)]
struct Recording {
    asked_ms: Mutex<Vec<u64>>,
}

impl Clock for Recording {
    fn now_ms(&self) -> u64 {
        RealWorld::new(100_000).now_ms()
    }
}

impl checkout_drive::World for Recording {
    fn real(&self, ms: u64) -> std::time::Duration {
        self.asked_ms.lock().unwrap().push(ms);
        RealWorld::new(100_000).real(ms)
    }
    fn mint_token(&self) -> TaskToken {
        checkout_drive::ids::mint_token()
    }
    fn fresh_checkout_id(&self) -> CheckoutId {
        checkout_drive::ids::fresh_checkout_id()
    }
}

/// Storage that fails `failures` times, then works.
fn failing(failures: u32) -> impl FnMut() -> bool {
    let mut left = failures;
    move || {
        if left == 0 {
            return false;
        }
        left -= 1;
        true
    }
}

async fn recording_runner(repository: MockCheckoutRepository) -> Arc<Driver<Split, Recording>> {
    let stores = MemoryShop::new();
    stores.stock_book(&BookId::new("b-1").unwrap(), 3, Money::from_minor_units(30)).await.unwrap();
    stores.open_customer(&UserId::new("u-1").unwrap(), 100, 0).await.unwrap();
    Arc::new(Driver::new(
        Arc::new(Split { stores, repository, on_send: std::sync::OnceLock::new() }),
        Engine::new(Policy::default(), 1),
        Recording::default(),
    ))
}

/// Storage that keeps failing is tried again with growing waits, by the compensation backoff's
/// schedule, both when claiming and when saving.
#[tokio::test]
async fn failing_storage_is_waited_out_with_growing_waits() {
    let backoff = Policy::default().compensation;
    let expected: Vec<u64> = (1..=3).map(|failures| backoff.delay_ms(failures, 0)).collect();

    let mut claim_fails = failing(3);
    let mut repository = MockCheckoutRepository::new();
    repository.expect_claim().returning(move |_, _| {
        if claim_fails() {
            return Err(StorageError::Failed("database is locked".into()));
        }
        Ok(Some((Fence::FIRST, placed())))
    });
    repository.expect_save().returning(|_, _, _, _| Ok(()));
    let runner = recording_runner(repository).await;
    runner.drive(&CheckoutId::new("ck-1").unwrap()).await.unwrap();
    assert_eq!(runner.clock().asked_ms.lock().unwrap()[..3], expected, "claims");

    let mut save_fails = failing(3);
    let mut repository = MockCheckoutRepository::new();
    repository.expect_claim().returning(|_, _| Ok(Some((Fence::FIRST, placed()))));
    repository.expect_save().returning(move |_, _, _, _| {
        if save_fails() {
            return Err(SaveError::Storage(StorageError::Failed("disk full".into())));
        }
        Ok(())
    });
    let runner = recording_runner(repository).await;
    runner.drive(&CheckoutId::new("ck-1").unwrap()).await.unwrap();
    assert_eq!(runner.clock().asked_ms.lock().unwrap()[..3], expected, "saves");
}

/// While the shop's storage refuses writes the runner says so (a server's readiness reads it),
/// and stops saying so once a write goes through.
#[tokio::test]
async fn a_runner_says_whether_its_writes_are_failing() {
    let broken = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let failing = Arc::clone(&broken);
    let mut repository = MockCheckoutRepository::new();
    repository.expect_claim().returning(|_, _| Ok(Some((Fence::FIRST, placed()))));
    repository.expect_save().returning(move |_, _, _, _| {
        if failing.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(SaveError::Storage(StorageError::Failed("disk full".into())));
        }
        Ok(())
    });
    let runner = runner(repository).await;
    assert!(!runner.writes_failing(), "nothing written yet");
    let driving = {
        let runner = Arc::clone(&runner);
        tokio::spawn(async move { runner.drive(&CheckoutId::new("ck-1").unwrap()).await })
    };
    let mut waited = 0;
    while !runner.writes_failing() {
        assert!(waited < 500, "the failing writes were never reported");
        waited += 1;
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    broken.store(false, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(driving.await.unwrap().unwrap(), Outcome::Compensated);
    assert!(!runner.writes_failing(), "the storage took writes again");
}

/// A checkout that ended, or whose wait a host keeps, is not the runner's to renew: renewing
/// then asks nothing of the shop (the mock refuses any renewal).
#[tokio::test]
async fn what_ended_or_a_host_keeps_is_not_renewed() {
    let mut repository = MockCheckoutRepository::new();
    repository.expect_claim().returning(|_, _| Ok(Some((Fence::FIRST, placed()))));
    repository.expect_save().returning(|_, _, _, _| Ok(()));
    repository.expect_renew().never();
    let driver = runner(repository).await;
    assert_eq!(driver.drive(&CheckoutId::new("ck-1").unwrap()).await.unwrap(), Outcome::Compensated);
    driver.renew_leases().await.unwrap();
    assert_eq!(driver.listening(), 0);

    let mut repository = MockCheckoutRepository::new();
    repository.expect_claim().returning(|_, _| Ok(Some((Fence::FIRST, placed()))));
    repository.expect_save().returning(|_, _, _, _| Ok(()));
    repository.expect_renew().never();
    let host = runner(repository).await;
    let paused = host.drive_hosted(&CheckoutId::new("ck-1").unwrap(), |_, _| None).await.unwrap();
    assert!(matches!(paused, checkout_drive::Pause::CourierDue { .. }));
    host.renew_leases().await.unwrap();
    host.release_leases().await.unwrap();
}

/// `courier_request_sent` returns once a request is on the queue, not before.
#[tokio::test]
async fn waiting_for_a_courier_request_returns_once_one_is_on_the_queue() {
    let shop = MemoryShop::new();
    shop.stock_book(&BookId::new("b-1").unwrap(), 3, Money::from_minor_units(30)).await.unwrap();
    shop.open_customer(&UserId::new("u-1").unwrap(), 100, 0).await.unwrap();
    let id = shop.admit(placed().order(), CheckoutId::new("ck-1").unwrap(), Lease::LAPSED).await.unwrap();
    // At the wall clock's speed the courier wait outlasts the test.
    let runner = Arc::new(Driver::new(Arc::new(shop), Engine::new(Policy::default(), 1), RealWorld::new(1)));
    let driving = {
        let runner = Arc::clone(&runner);
        let id = id.checkout().clone();
        tokio::spawn(async move { runner.drive(&id).await })
    };
    runner.courier_request_sent(std::time::Duration::from_secs(30)).await;
    assert_eq!(runner.shop().take(10).await.unwrap().len(), 1);
    assert_eq!(runner.listening(), 1, "its checkout listens for the answer");
    driving.abort();
}

/// A courier that answers before the runner has even journaled the request's sending: the
/// answer waits in the checkout's inbox, and the wait takes it.
#[tokio::test]
async fn an_answer_that_comes_as_the_request_is_sent_is_taken() {
    let mut repository = MockCheckoutRepository::new();
    repository.expect_claim().returning(|_, _| Ok(Some((Fence::FIRST, placed()))));
    repository.expect_save().returning(|_, _, _, _| Ok(()));
    let runner = runner(repository).await;
    let answering = Arc::downgrade(&runner);
    let hook: Answering = Box::new(move |request: &CourierRequest| {
        let runner = answering.upgrade().unwrap();
        assert!(runner.deliver(request.token.clone(), CourierAnswer::Assigned(CourierId::new("c-1").unwrap())));
    });
    assert!(runner.shop().on_send.set(hook).is_ok());
    // At 100,000x the deadline passes in milliseconds: only an answer taken at once dispatches.
    assert_eq!(runner.drive(&CheckoutId::new("ck-1").unwrap()).await.unwrap(), Outcome::Dispatched);
}
