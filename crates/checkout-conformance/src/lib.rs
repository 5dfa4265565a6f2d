//! The conformance suite every adapter must pass. It states, as tests, the contract the model
//! checker relies on, so that what is proved of the store rules holds of every store:
//!
//! - every sequence of keyed calls gets the answers the store rules give
//!   ([`keyed_calls_answer_as_the_oracle`], property-based): a take happens at most once per key,
//!   a give-back returns exactly what its key took, once, a give-back before the take leaves a
//!   tombstone, a reused key is refused, a give-back that names another take is refused;
//! - concurrent takes of the last copies never oversell, and concurrent repeats of one key take
//!   once ([`concurrent_takes_never_oversell`]);
//! - a superseded incarnation is refused by every store and its saves are refused
//!   ([`superseded_incarnations_are_refused`], [`only_the_latest_claim_saves`]);
//! - a give-back names the take it undoes, and one naming another's take is refused for good,
//!   never reported as given back ([`give_backs_are_bound_to_their_take`]);
//! - the registry admits one checkout per order, also under concurrent submissions
//!   ([`one_checkout_per_order`]);
//! - the courier queue hands each request over once, in order, and the journal keeps each
//!   checkout's steps in order ([`queue_and_journal_keep_order`]);
//! - a checkout is taken over only once its holder's lease has lapsed, by one of the runners
//!   sweeping, and only the latest claim renews its lease
//!   ([`leases::a_takeover_waits_for_the_lease_to_lapse`]);
//! - checkouts are listed by phase, those that moved longest ago first, a page at a time, from
//!   an index ([`listing::checkouts_are_listed_by_phase_oldest_moved_first`]).
//!
//! An adapter's tests run it all with [`conformance_suite!`], given an expression that makes a
//! fresh, empty shop.

use std::future::Future;
use std::sync::Arc;

use checkout_domain::fencing::{Fence, Lease, Superseded};
use checkout_domain::protocol::{CallError, Unavailable};
use checkout_domain::registry::Admission;
use checkout_domain::{
    BookId, CheckoutId, CheckoutState, Command, CourierId, Effect, EffectKey, Event, Money, Order, Points, Quantity,
    UserId,
};
use checkout_ports::{Adapters, CourierRequest, JournalEntry, PortError, SaveError};

pub use calls::StoreCalls;
pub use oracle::keyed_calls_answer_as_the_oracle;

pub mod audit;
pub mod calls;
pub mod leases;
pub mod listing;
pub mod operations;
mod oracle;
pub mod registry;

/// Everything an adapter under test provides: a whole shop.
pub use checkout_ports::Shop as Subject;

fn adapters<S: Subject>(shop: &S) -> Adapters<'_> {
    shop.adapters()
}

fn book(n: u8) -> BookId {
    BookId::new(format!("b-{n}")).expect("a valid id")
}

fn user(n: u8) -> UserId {
    UserId::new(format!("u-{n}")).expect("a valid id")
}

fn key(checkout: u8, effect: Effect) -> EffectKey {
    EffectKey::new(&CheckoutId::new(format!("ck-{checkout}")).expect("a valid id"), effect)
}

fn order(id: &str, quantity: u64) -> Order {
    let json = format!(r#"{{"orderId":"{id}","bookId":"b-0","userId":"u-0","quantity":{quantity}}}"#);
    Order::from_json(&json).expect("a valid order")
}

/// The shop every test starts from: books b-0 (3 copies at 30) and b-1 (1 copy at 50), customers
/// u-0 (100 to spend, 10 points) and u-1 (40, no points).
async fn seed<S: Subject>(shop: &S) {
    shop.stock_book(&book(0), 3, Money::from_minor_units(30)).await.expect("stocking works");
    shop.stock_book(&book(1), 1, Money::from_minor_units(50)).await.expect("stocking works");
    shop.open_customer(&user(0), 100, 10).await.expect("opening works");
    shop.open_customer(&user(1), 40, 0).await.expect("opening works");
}

/// Takes a checkout that failed before it reserved anything to its end: its release (of
/// nothing) and the pure steps left.
fn close_failed(mut ending: CheckoutState) -> CheckoutState {
    loop {
        ending = match ending.next() {
            checkout_domain::Next::Compute => ending.compute().expect("a pure step"),
            checkout_domain::Next::Run(Command::ReleaseStock { .. }) => {
                let released = checkout_domain::protocol::StockReleased { quantity: 0 };
                ending.apply(Event::StockReleased(released)).expect("a release is owed")
            }
            _ => break,
        };
    }
    assert!(ending.is_finished(), "{ending:?}");
    ending
}

/// 64 takes at once of 3 copies take exactly 3; 64 repeats at once of one key take once.
pub async fn concurrent_takes_never_oversell<S, F, Fut>(make: F)
where
    S: Subject,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    let shop = Arc::new(make().await);
    seed(shop.as_ref()).await;
    let one = Quantity::new(1).expect("1");
    let tasks: Vec<_> = (0..64u8)
        .map(|n| {
            let shop = Arc::clone(&shop);
            tokio::spawn(async move { shop.reserve(Fence::FIRST, &key(n, Effect::ReserveStock), &book(0), one).await })
        })
        .collect();
    let mut taken = 0;
    for task in tasks {
        match task.await.expect("no task panics").expect("no store failure") {
            Ok(_) => taken += 1,
            Err(Unavailable::OutOfStock { .. }) => {}
            Err(other) => panic!("a take of a stocked book was refused: {other:?}"),
        }
    }
    assert_eq!(taken, 3, "exactly the 3 copies on the shelf were taken");
    assert_eq!(shop.balances().await.expect("readable").stock[&book(0)], 0);

    let same = key(100, Effect::Charge);
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let (shop, same) = (Arc::clone(&shop), same.clone());
            tokio::spawn(async move { shop.charge(Fence::FIRST, &same, &user(0), Money::from_minor_units(7)).await })
        })
        .collect();
    for task in tasks {
        let receipt = task.await.expect("no task panics").expect("the charge and its repeats succeed");
        assert_eq!(receipt.amount, Money::from_minor_units(7), "every repeat gets the first answer");
    }
    assert_eq!(shop.balances().await.expect("readable").funds[&user(0)], 93, "charged once");
}

/// The courier request and notice sent to the stores are refused for good, and change nothing:
/// a notice under a newer fence sent there raises no fence mark, so the notifier still takes one
/// under the older fence.
pub async fn only_store_commands_reach_the_stores<S, F, Fut>(make: F)
where
    S: Subject,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    let shop = make().await;
    seed(&shop).await;
    let (courier, order) = (CourierId::new("c-1").expect("valid"), order("o-0", 1));
    let key = key(0, Effect::NotifyCourier);
    let notice = Command::NotifyCourier { key: key.clone(), courier: courier.clone(), order: order.clone() };
    let request = Command::RequestCourier {
        token: checkout_domain::TaskToken::new("t-1").expect("valid"),
        order: order.clone(),
        deadline_ms: 1,
    };
    for command in [&notice, &request] {
        let answer = shop.perform(Fence::from_stored(2), command, 0).await;
        assert!(refused(answer.clone()), "{} sent to the stores: {answer:?}", command.name());
    }
    assert_eq!(shop.notify(Fence::FIRST, &key, &courier, &order).await, Ok(()), "no fence was raised");
}

/// Once an incarnation has acted under a fence, every store refuses an older one, and a give-back
/// that came first leaves a tombstone that refuses the late take.
pub async fn superseded_incarnations_are_refused<S, F, Fut>(make: F)
where
    S: Subject,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    let shop = make().await;
    seed(&shop).await;
    let (old, new) = (Fence::FIRST, Fence::from_stored(2));
    let one = Quantity::new(1).expect("1");
    let released = shop.release(new, &key(0, Effect::ReserveStock), &book(0), one).await.expect("the newer acts");
    assert_eq!(released.quantity, 0, "nothing was taken yet");
    let superseded = PortError::Superseded(Superseded { held: 1, current: 2 });
    assert_eq!(shop.reserve(old, &key(0, Effect::ReserveStock), &book(0), one).await, Err(superseded.clone()));
    let amount = Money::from_minor_units(5);
    assert_eq!(shop.charge(old, &key(0, Effect::Charge), &user(0), amount).await, Err(superseded.clone()));
    assert_eq!(
        shop.redeem(old, &key(0, Effect::RedeemPoints), &user(0), Points::new(1)).await,
        Err(superseded.clone())
    );
    let courier = CourierId::new("c-1").expect("valid");
    let notified = shop.notify(old, &key(0, Effect::NotifyCourier), &courier, &order("o-0", 1)).await;
    assert_eq!(notified, Err(superseded), "not even the notification goes out");
    let late = shop.reserve(new, &key(0, Effect::ReserveStock), &book(0), one).await.expect("answered");
    assert_eq!(late, Err(Unavailable::Withdrawn), "the tombstone refuses the late take");
    let balances = shop.balances().await.expect("readable");
    assert_eq!((balances.stock[&book(0)], balances.funds[&user(0)], balances.points[&user(0)]), (3, 100, 10));
}

/// 64 incarnations claim one checkout, then all try to save: only the last claim's save sticks,
/// and a save under an older fence is refused. The checkout, ended by that save, is no longer
/// listed to resume.
pub async fn only_the_latest_claim_saves<S, F, Fut>(make: F)
where
    S: Subject,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    let shop = Arc::new(make().await);
    let fresh = CheckoutId::new("ck-a").expect("valid");
    let admitted = shop.admit(&order("o-a", 1), fresh.clone(), Lease::HELD_BY_HOST).await.expect("admitted");
    assert_eq!(admitted, Admission::Opened(fresh.clone()));
    assert_eq!(shop.unfinished().await.expect("readable"), std::slice::from_ref(&fresh));
    let barrier = Arc::new(tokio::sync::Barrier::new(64));
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let (shop, barrier, id) = (Arc::clone(&shop), Arc::clone(&barrier), fresh.clone());
            tokio::spawn(async move {
                let (fence, checkout) =
                    shop.claim(&id, Lease::HELD_BY_HOST).await.expect("readable").expect("admitted");
                barrier.wait().await;
                let detail = format!("by {}", fence.get());
                let failed =
                    checkout.apply(Event::StepFailed { detail: detail.clone() }).expect("a placed checkout can fail");
                let phase = failed.phase().to_string();
                let step = JournalEntry {
                    at_ms: fence.get(),
                    step: "reserve-stock".into(),
                    outcome: detail,
                    phase,
                    attempt: 1,
                };
                (fence, shop.save(&id, fence, &failed, std::slice::from_ref(&step)).await)
            })
        })
        .collect();
    let mut saved = Vec::new();
    for task in tasks {
        let (fence, result) = task.await.expect("no task panics");
        match result {
            Ok(()) => saved.push(fence),
            Err(SaveError::Superseded(superseded)) => assert!(superseded.held < superseded.current),
            Err(other) => panic!("a save failed for another reason: {other}"),
        }
    }
    assert_eq!(saved.len(), 1, "exactly one incarnation saved: {saved:?}");
    let stored = shop.load(&fresh).await.expect("readable").expect("kept");
    assert!(stored.to_json().contains(&format!("by {}", saved[0].get())), "the saved one is the record");
    let journal = shop.history(&fresh).await.expect("readable");
    assert_eq!(journal.len(), 1, "a refused save journals nothing: {journal:?}");
    assert_eq!(journal[0].outcome, format!("by {}", saved[0].get()), "the step journaled is the one saved");

    // Its release (of nothing: the reservation failed) and the pure steps left close it.
    let (fence, failed) = shop.claim(&fresh, Lease::HELD_BY_HOST).await.expect("readable").expect("kept");
    shop.save(&fresh, fence, &close_failed(failed), &[]).await.expect("saved");
    assert_eq!(shop.unfinished().await.expect("readable"), [], "an ended checkout is not resumed");
}

/// One checkout per order: the same order again gets its checkout, another order under a used id
/// is refused, and 64 identical submissions at once open one checkout.
pub async fn one_checkout_per_order<S, F, Fut>(make: F)
where
    S: Subject,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    let shop = Arc::new(make().await);
    let tasks: Vec<_> = (0..64)
        .map(|n| {
            let shop = Arc::clone(&shop);
            tokio::spawn(async move {
                let fresh = CheckoutId::new(format!("ck-{n}")).expect("valid");
                shop.admit(&order("o-1", 2), fresh, Lease::HELD_BY_HOST).await.expect("admitted")
            })
        })
        .collect();
    let mut admissions = Vec::new();
    for task in tasks {
        admissions.push(task.await.expect("no task panics"));
    }
    let opened: Vec<_> = admissions.iter().filter(|a| matches!(a, Admission::Opened(_))).collect();
    assert_eq!(opened.len(), 1, "one submission opened the checkout");
    assert!(admissions.iter().all(|a| a.checkout() == opened[0].checkout()), "the others got it");
    let conflict =
        shop.admit(&order("o-1", 3), CheckoutId::new("ck-x").expect("valid"), Lease::HELD_BY_HOST).await.unwrap_err();
    assert!(conflict.to_string().contains("quantity 2, not 3"), "{conflict}");
    assert_eq!(shop.unfinished().await.expect("readable").len(), 1);
}

/// The courier queue hands each request to the worker once, oldest first, and the journal keeps
/// each checkout's steps in order.
pub async fn queue_and_journal_keep_order<S, F, Fut>(make: F)
where
    S: Subject,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    let shop = make().await;
    let request = |n: u64| CourierRequest {
        token: checkout_domain::TaskToken::new(format!("t-{n}")).expect("valid"),
        order: order(&format!("o-{n}"), 1),
        deadline_ms: n,
    };
    for n in 0..3 {
        shop.send(&request(n)).await.expect("sent");
    }
    assert_eq!(shop.take(2).await.expect("taken"), [request(0), request(1)]);
    assert_eq!(shop.take(5).await.expect("taken"), [request(2)]);
    assert_eq!(shop.take(5).await.expect("taken"), [], "each request is taken once");

    let id = CheckoutId::new("ck-j").expect("valid");
    let entry = |n: u32| JournalEntry {
        at_ms: u64::from(n),
        step: format!("step-{n}"),
        outcome: "ok".into(),
        phase: "placed".into(),
        attempt: n,
    };
    for n in 1..=3 {
        shop.record(&id, entry(n)).await.expect("recorded");
    }
    shop.record(&CheckoutId::new("ck-other").expect("valid"), entry(9)).await.expect("recorded");
    assert_eq!(shop.history(&id).await.expect("read"), [entry(1), entry(2), entry(3)]);
}

/// Whether `result` is a refusal for good.
fn refused<T: std::fmt::Debug>(result: Result<T, PortError>) -> bool {
    matches!(result, Err(PortError::Call(CallError::Refused(_))))
}

/// A give-back names the take it undoes: one naming another account or amount than its key's
/// take gives nothing back and is refused for good (a checkout that reached another's key cannot
/// undo that one's sale), never reported as given back. The take stays held, and the right
/// give-back still returns it, once.
pub async fn give_backs_are_bound_to_their_take<S, F, Fut>(make: F)
where
    S: Subject,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    let shop = make().await;
    seed(&shop).await;
    let f = Fence::FIRST;
    let (stock_key, points_key, charge_key) =
        (key(0, Effect::ReserveStock), key(0, Effect::RedeemPoints), key(0, Effect::Charge));
    let (one, two) = (Quantity::new(1).expect("1"), Quantity::new(2).expect("2"));
    shop.reserve(f, &stock_key, &book(0), two).await.expect("a store answers").expect("2 of 3 copies");
    shop.redeem(f, &points_key, &user(0), Points::new(10)).await.expect("10 points");
    shop.charge(f, &charge_key, &user(0), Money::from_minor_units(60)).await.expect("60 of 100");

    assert!(refused(shop.release(f, &stock_key, &book(0), one).await), "another quantity");
    assert!(refused(shop.release(f, &stock_key, &book(1), two).await), "another book");
    assert!(refused(shop.restore(f, &points_key, &user(1), Points::new(10)).await), "another customer");
    assert!(refused(shop.restore(f, &points_key, &user(0), Points::new(5)).await), "another redemption");
    assert!(refused(shop.refund(f, &charge_key, &user(0), Money::from_minor_units(30)).await), "another amount");
    assert!(refused(shop.refund(f, &charge_key, &user(1), Money::from_minor_units(60)).await), "another customer");
    let held = shop.held(&CheckoutId::new("ck-0").expect("valid")).await.expect("readable");
    assert_eq!((held.stock, held.points, held.money), (2, 10, 60), "nothing was given back");

    assert_eq!(shop.release(f, &stock_key, &book(0), two).await.expect("its own").quantity, 2);
    assert_eq!(shop.restore(f, &points_key, &user(0), Points::new(10)).await.expect("its own").points, Points::new(10));
    let refund = shop.refund(f, &charge_key, &user(0), Money::from_minor_units(60)).await.expect("its own");
    assert_eq!(refund.amount, Money::from_minor_units(60));
    let balances = shop.balances().await.expect("readable");
    assert_eq!((balances.stock[&book(0)], balances.funds[&user(0)], balances.points[&user(0)]), (3, 100, 10));

    // Under a key that took nothing, nothing is given back, truthfully, account or not (a
    // customer with no points account redeemed nothing); a take whose account is gone is the
    // ledger's own test, as no port deletes an account.
    let restored = shop.restore(f, &key(1, Effect::RedeemPoints), &user(2), Points::new(5)).await;
    assert_eq!(restored.expect("nothing to give back").points, Points::ZERO);
}

/// Declares the whole suite as tests of the enclosing module, each on a fresh shop made by
/// `$make` (an expression, evaluated in an async block, giving a fresh empty shop).
#[macro_export]
macro_rules! conformance_suite {
    ($make:expr) => {
        #[test]
        fn keyed_calls_answer_as_the_oracle() {
            $crate::keyed_calls_answer_as_the_oracle(|| async { $make });
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn concurrent_takes_never_oversell() {
            $crate::concurrent_takes_never_oversell(|| async { $make }).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn only_store_commands_reach_the_stores() {
            $crate::only_store_commands_reach_the_stores(|| async { $make }).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn superseded_incarnations_are_refused() {
            $crate::superseded_incarnations_are_refused(|| async { $make }).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn only_the_latest_claim_saves() {
            $crate::only_the_latest_claim_saves(|| async { $make }).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn queue_and_journal_keep_order() {
            $crate::queue_and_journal_keep_order(|| async { $make }).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn give_backs_are_bound_to_their_take() {
            $crate::give_backs_are_bound_to_their_take(|| async { $make }).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn one_checkout_per_order() {
            $crate::one_checkout_per_order(|| async { $make }).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn orders_are_found_through_the_registry() {
            $crate::registry::orders_are_found_through_the_registry(|| async { $make }).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn every_checkouts_holdings_read_at_once_agree() {
            $crate::audit::every_checkouts_holdings_read_at_once_agree(|| async { $make }).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn operations_only_add_and_are_journaled() {
            $crate::operations::operations_only_add_and_are_journaled(|| async { $make }).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn checkouts_are_listed_by_phase_oldest_moved_first() {
            $crate::listing::checkouts_are_listed_by_phase_oldest_moved_first(|| async { $make }).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn a_takeover_waits_for_the_lease_to_lapse() {
            $crate::leases::a_takeover_waits_for_the_lease_to_lapse(|| async { $make }).await;
        }
    };
}
