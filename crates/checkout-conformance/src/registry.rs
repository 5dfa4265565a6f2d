//! Finding a checkout by its order, as `GET /orders/{order}` and `checkout status --order` do:
//! through the order registry, never by reading every checkout. Order ids and checkout ids are two
//! namespaces, and every lookup sees every write answered before it began.

use std::future::Future;
use std::sync::Arc;

use checkout_domain::fencing::Lease;
use checkout_domain::{CheckoutId, Event, OrderId};
use checkout_ports::JournalEntry;

use crate::{order, Subject};

pub async fn orders_are_found_through_the_registry<S, F, Fut>(make: F)
where
    S: Subject,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    let shop = Arc::new(make().await);
    let first = CheckoutId::new("ck-1").expect("valid");
    shop.admit(&order("o-1", 1), first.clone(), Lease::HELD_BY_HOST).await.expect("admitted");
    let o1 = OrderId::new("o-1").expect("valid");
    assert_eq!(shop.checkout_of(&o1).await.expect("readable"), Some(first.clone()), "found as soon as admitted");
    let unknown = OrderId::new("o-unknown").expect("valid");
    assert_eq!(shop.checkout_of(&unknown).await.expect("readable"), None);

    // An order whose id is a checkout's id names its own checkout; that checkout is not shadowed.
    let second = CheckoutId::new("ck-2").expect("valid");
    shop.admit(&order("ck-1", 1), second.clone(), Lease::HELD_BY_HOST).await.expect("admitted");
    let lookalike = OrderId::new("ck-1").expect("valid");
    assert_eq!(shop.checkout_of(&lookalike).await.expect("readable"), Some(second));
    let loaded = shop.load(&first).await.expect("readable").expect("kept");
    assert_eq!(loaded.order().id(), &o1, "checkout ck-1 is still order o-1's");

    // A save answered is seen by the next read, record and journal.
    let (fence, placed) = shop.claim(&first, Lease::HELD_BY_HOST).await.expect("readable").expect("kept");
    let failed = placed.apply(Event::StepFailed { detail: "none left".into() }).expect("a placed checkout can fail");
    let step = JournalEntry {
        at_ms: 1,
        step: "reserve-stock".into(),
        outcome: "none left".into(),
        phase: failed.phase().to_string(),
        attempt: 1,
    };
    shop.save(&first, fence, &failed, std::slice::from_ref(&step)).await.expect("saved");
    assert_eq!(shop.load(&first).await.expect("readable"), Some(failed));
    assert_eq!(shop.history(&first).await.expect("readable"), [step]);

    // Lookups racing admissions: each order is found the moment its admission is answered.
    let tasks: Vec<_> = (0..16)
        .map(|n| {
            let shop = Arc::clone(&shop);
            tokio::spawn(async move {
                let id = CheckoutId::new(format!("ck-r{n}")).expect("valid");
                shop.admit(&order(&format!("o-r{n}"), 1), id.clone(), Lease::HELD_BY_HOST).await.expect("admitted");
                let found = shop.checkout_of(&OrderId::new(format!("o-r{n}")).expect("valid")).await.expect("readable");
                assert_eq!(found, Some(id.clone()), "order o-r{n}");
                assert!(shop.load(&id).await.expect("readable").is_some(), "checkout {id}");
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("every lookup found its order");
    }
}
