//! What a drive writes down and what it leaves to a host: every step of a checkout journaled in
//! order (including what saved nothing: a sent request, an ignored reply), and a host that keeps
//! the courier wait itself handed the request instead of the runner sending it.

mod common;

use std::sync::Arc;

use checkout_domain::fencing::Lease;
use checkout_domain::{CourierId, Event, Outcome, TaskToken};
use checkout_drive::world::RealWorld;
use checkout_drive::{CourierAnswer, Pause};
use checkout_ports::{CourierInbox, Journal};
use common::{admit, runner_on, stocked};

#[tokio::test]
async fn every_step_of_a_dispatched_checkout_is_journaled_in_order() {
    let shop = Arc::new(stocked().await);
    let id = admit(&shop, 1, Lease::LAPSED).await;
    let runner = runner_on(Arc::clone(&shop), RealWorld::new(1));
    let mut handed = runner.hand_courier_requests();
    let driving = {
        let (runner, id) = (Arc::clone(&runner), id.clone());
        tokio::spawn(async move { runner.drive(&id).await })
    };
    let request = handed.recv().await.unwrap();
    // A reply for no wait of this checkout's (kept aside, not journaled), then the real one.
    runner.deliver(TaskToken::new("forged").unwrap(), CourierAnswer::Assigned(CourierId::new("x").unwrap()));
    runner.deliver(request.token, CourierAnswer::Assigned(CourierId::new("c-1").unwrap()));
    assert_eq!(driving.await.unwrap().unwrap(), Outcome::Dispatched);
    let journal = shop.history(&id).await.unwrap();
    let steps: Vec<(&str, &str, u32)> =
        journal.iter().map(|entry| (entry.step.as_str(), entry.outcome.as_str(), entry.attempt)).collect();
    assert_eq!(
        steps,
        [
            ("reserve-stock", "stock-reserved", 1),
            ("compute", "done", 1),
            ("compute", "done", 1),
            ("charge", "charged", 1),
            ("open-courier-wait", "done", 1),
            ("request-courier", "sent", 1),
            ("courier-reply", "courier-assigned", 1),
            ("notify-courier", "courier-notified", 1),
        ],
        "{journal:#?}"
    );
    assert_eq!(runner.listening(), 0, "nothing listens for a checkout that ended");
}

#[tokio::test]
async fn a_host_is_left_the_courier_request_and_given_the_news() {
    let shop = Arc::new(stocked().await);
    let id = admit(&shop, 1, Lease::LAPSED).await;
    // At 100,000x a courier wait the runner kept would end at once: a host's does not.
    let runner = runner_on(Arc::clone(&shop), RealWorld::new(100_000));
    let Pause::CourierDue { token, .. } = runner.drive_hosted(&id, |_, _| None).await.unwrap() else {
        panic!("the courier request is the host's to send");
    };
    assert!(shop.take(10).await.unwrap().is_empty(), "the runner sent no request itself");
    assert_eq!(runner.listening(), 0, "and does not listen for the answer: the host does");

    // News that is not this wait's is journaled as ignored, and the request is still due.
    let forged = |_: &_, _| {
        let event =
            Event::CourierAssigned { token: TaskToken::new("forged").unwrap(), courier: CourierId::new("x").unwrap() };
        Some(("courier-reply", event))
    };
    assert!(matches!(runner.drive_hosted(&id, forged).await.unwrap(), Pause::CourierDue { .. }));
    let last = shop.history(&id).await.unwrap().pop().unwrap();
    assert_eq!(last.step, "courier-reply");
    assert!(last.outcome.starts_with("ignored: "), "{last:?}");

    let answered = move |_: &_, _| {
        Some(("courier-reply", Event::CourierAssigned { token, courier: CourierId::new("c-1").unwrap() }))
    };
    assert_eq!(runner.drive_hosted(&id, answered).await.unwrap(), Pause::Ended(Outcome::Dispatched));
}
