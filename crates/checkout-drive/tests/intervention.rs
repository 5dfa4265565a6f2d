//! A customer's cancel and an operator's resolution against a running drive, on the in-memory
//! shop: each claims the checkout from the runner driving it, which is fenced out. A cancel
//! before the point of no return gives everything back, one after it is refused and the order
//! still goes out; a resolution closes a checkout raised for an operator and moves nothing, and
//! is refused by any other.

mod common;

use std::sync::Arc;
use std::time::Duration;

use checkout_domain::fencing::Lease;
use checkout_domain::states::{OperatorNote, Resolution};
use checkout_domain::{BookId, CourierId, Money, Outcome, Phase, TransitionError, UserId};
use checkout_drive::{CourierAnswer, DriveError};
use checkout_memory::{MemoryShop, ShopFaults};
use checkout_ports::{CheckoutRepository, CourierInbox, Journal, ShopAdmin};
use common::{admit, runner_on, stocked};

/// A world whose 15-minute courier deadline passes in 0.9 s.
fn fast() -> checkout_drive::world::RealWorld {
    checkout_drive::world::RealWorld::new(1_000)
}

fn balances(shop: &MemoryShop) -> (Option<u64>, Option<u64>) {
    let stores = shop.state().stores;
    (stores.inventory.stock.balance(&BookId::new("b-1").unwrap()), stores.wallets.balance(&UserId::new("u-1").unwrap()))
}

#[tokio::test]
async fn a_cancel_while_the_courier_is_awaited_gives_everything_back_and_fences_the_runner_out() {
    let shop = Arc::new(stocked().await);
    let id = admit(&shop, 1, Lease::LAPSED).await;
    let before = (Some(100), Some(10_000));
    let runner = runner_on(Arc::clone(&shop), fast());
    let driving = {
        let (runner, id) = (Arc::clone(&runner), id.clone());
        tokio::spawn(async move { runner.drive(&id).await })
    };
    runner.courier_request_sent(Duration::from_secs(10)).await;
    assert_ne!(balances(&shop), before, "the order took a copy and its payment");

    // Another process (the operator's `checkout cancel`) cancels it.
    let canceller = runner_on(Arc::clone(&shop), fast());
    let cancellation = canceller.cancel(&id).await.unwrap();
    assert_eq!(cancellation.answer, Ok(Phase::PreparingOrder));
    let outcome = canceller.drive_claimed(cancellation.fence, cancellation.checkout).await.unwrap();
    assert_eq!(outcome, Outcome::Compensated);
    assert_eq!(balances(&shop), before, "the copy and the payment came back");

    // The courier answers the old wait after all: the runner that waited is fenced out, so the
    // assignment is never saved and no courier is told.
    let token = shop.take(10).await.unwrap().pop().expect("the courier request is on the queue").token;
    runner.deliver(token, CourierAnswer::Assigned(CourierId::new("c-1").unwrap()));
    let old = tokio::time::timeout(Duration::from_secs(10), driving).await.unwrap().unwrap();
    assert!(matches!(old, Err(DriveError::Superseded(_))), "{old:?}");
    let checkout = shop.load(&id).await.unwrap().unwrap();
    assert_eq!(checkout.phase(), Phase::Compensated);
    let history = shop.history(&id).await.unwrap();
    assert!(history.iter().any(|e| e.step == "cancel" && e.outcome == "honoured while preparing-order"), "{history:?}");
    assert!(!history.iter().any(|e| e.step == "notify-courier"), "{history:?}");
    assert_eq!(balances(&shop), before);
}

#[tokio::test]
async fn a_cancel_past_the_point_of_no_return_is_refused_and_the_order_goes_out() {
    let shop = Arc::new(stocked().await);
    let id = admit(&shop, 1, Lease::LAPSED).await;
    let runner = runner_on(Arc::clone(&shop), fast());
    let mut handed = runner.hand_courier_requests();
    let driving = {
        let (runner, id) = (Arc::clone(&runner), id.clone());
        tokio::spawn(async move { runner.drive(&id).await })
    };
    let request = handed.recv().await.unwrap();
    runner.deliver(request.token, CourierAnswer::Assigned(CourierId::new("c-1").unwrap()));
    assert_eq!(driving.await.unwrap().unwrap(), Outcome::Dispatched);
    let after_dispatch = balances(&shop);

    let cancellation = runner.cancel(&id).await.unwrap();
    assert_eq!(cancellation.answer, Err(TransitionError::PastNoReturn { state: Phase::Dispatched }));
    assert_eq!(cancellation.checkout.phase(), Phase::Dispatched);
    assert_eq!(runner.drive_claimed(cancellation.fence, cancellation.checkout).await.unwrap(), Outcome::Dispatched);
    assert_eq!(balances(&shop), after_dispatch, "nothing was given back");
    let history = shop.history(&id).await.unwrap();
    let refusal = history.iter().find(|e| e.step == "cancel").expect("the refusal is journaled");
    assert!(refusal.outcome.starts_with("refused:") && refusal.outcome.contains("point of no return"), "{refusal:?}");
}

#[tokio::test]
async fn a_cancel_of_an_unknown_checkout_says_so() {
    let shop = Arc::new(stocked().await);
    let runner = runner_on(shop, fast());
    let missing = checkout_domain::CheckoutId::new("ck-nobody").unwrap();
    assert!(matches!(runner.cancel(&missing).await, Err(DriveError::Missing(_))));
}

fn by_hand() -> Resolution {
    Resolution::GivenBackByHand { note: OperatorNote::new("copy put back on the shelf by hand").unwrap() }
}

/// A shop whose customer cannot pay and whose stores refuse every compensation: an order's charge
/// is declined, and the release of its copy is refused for good, so it is raised for an operator.
async fn refusing() -> MemoryShop {
    let shop =
        MemoryShop::from_state(Default::default(), ShopFaults { refuse_compensations: true, ..Default::default() });
    shop.stock_book(&BookId::new("b-1").unwrap(), 100, Money::from_minor_units(30)).await.unwrap();
    shop.open_customer(&UserId::new("u-1").unwrap(), 0, 0).await.unwrap();
    shop
}

#[tokio::test]
async fn a_resolution_closes_a_checkout_raised_for_an_operator_and_moves_nothing() {
    let shop = Arc::new(refusing().await);
    let id = admit(&shop, 1, Lease::LAPSED).await;
    let runner = runner_on(Arc::clone(&shop), fast());
    assert_eq!(runner.drive(&id).await.unwrap(), Outcome::NeedsOperator);
    let raised = shop.state().stores;
    assert_eq!(raised.inventory.stock.balance(&BookId::new("b-1").unwrap()), Some(99), "the copy is still held");

    let found = shop.load(&id).await.unwrap().unwrap();
    assert_eq!(runner.resolve(&found, by_hand()).await.unwrap(), Ok(Phase::NeedsOperator));
    assert_eq!(shop.state().stores, raised, "a resolution moves nothing in the stores");
    assert_eq!(shop.load(&id).await.unwrap().unwrap().phase(), Phase::Resolved);
    let history = shop.history(&id).await.unwrap();
    let entry = history.iter().find(|e| e.step == "resolve").expect("the resolution is journaled");
    assert_eq!(
        entry.outcome,
        "resolved as given-back-by-hand: copy put back on the shelf by hand (it was needs-operator)"
    );

    // Resolved, it takes no second resolution; nor does an operator who found it still raised
    // but lost the race to another: the resolution is asked again under its claim.
    let resolved = shop.load(&id).await.unwrap().unwrap();
    let again = runner.resolve(&resolved, by_hand()).await.unwrap();
    assert_eq!(again, Err(TransitionError::NothingToResolve { state: Phase::Resolved }));
    let raced = runner.resolve(&found, by_hand()).await.unwrap();
    assert_eq!(raced, Err(TransitionError::NothingToResolve { state: Phase::Resolved }));
    assert_eq!(shop.load(&id).await.unwrap().unwrap(), resolved, "the first resolution stands");
}

#[tokio::test]
async fn a_resolution_of_a_running_checkout_is_refused_and_interrupts_nothing() {
    let shop = Arc::new(stocked().await);
    let id = admit(&shop, 1, Lease::LAPSED).await;
    let runner = runner_on(Arc::clone(&shop), fast());
    let mut handed = runner.hand_courier_requests();
    let driving = {
        let (runner, id) = (Arc::clone(&runner), id.clone());
        tokio::spawn(async move { runner.drive(&id).await })
    };
    let request = handed.recv().await.unwrap();

    // A tired operator resolves the wrong order: refused, and the runner driving it is not
    // fenced out: the courier's answer still reaches it, and the order goes out.
    let operator = runner_on(Arc::clone(&shop), fast());
    let found = shop.load(&id).await.unwrap().unwrap();
    let answer = operator.resolve(&found, by_hand()).await.unwrap();
    assert_eq!(answer, Err(TransitionError::NothingToResolve { state: Phase::PreparingOrder }));
    runner.deliver(request.token, CourierAnswer::Assigned(CourierId::new("c-1").unwrap()));
    assert_eq!(driving.await.unwrap().unwrap(), Outcome::Dispatched);
    let history = shop.history(&id).await.unwrap();
    let refusal = history.iter().find(|e| e.step == "resolve").expect("the refusal is journaled");
    assert!(refusal.outcome.starts_with("refused:") && refusal.outcome.contains("nothing to resolve"), "{refusal:?}");
    assert_eq!(refusal.phase, "preparing-order");
}
