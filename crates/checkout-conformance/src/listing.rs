//! The listing contract (`checkout_ports::listing`) every checkout repository keeps: one phase's
//! checkouts, those that moved longest ago first, after a position, only those that have not
//! moved since a time, a page at a time; a checkout moves in the listing with each saved step,
//! and a save without a step leaves when it moved as it was.

use checkout_domain::fencing::{Fence, Lease};
use checkout_domain::{CheckoutId, CheckoutState, Event, Phase};
use checkout_ports::listing::{list, Cursor, Listed, Listing, PhaseQuery, Position};
use checkout_ports::JournalEntry;
use std::future::Future;

use crate::{close_failed, order, seed, Subject};

fn id(n: u8) -> CheckoutId {
    CheckoutId::new(format!("ck-{n}")).expect("a valid id")
}

fn step(at_ms: u64, checkout: &CheckoutState) -> JournalEntry {
    JournalEntry {
        at_ms,
        step: "test".into(),
        outcome: "moved".into(),
        phase: checkout.phase().to_string(),
        attempt: 1,
    }
}

fn ids(listed: &[Listed]) -> Vec<String> {
    listed.iter().map(|l| format!("{}@{}", l.checkout, l.since_ms)).collect()
}

pub async fn checkouts_are_listed_by_phase_oldest_moved_first<S, F, Fut>(make: F)
where
    S: Subject,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    let shop = make().await;
    seed(&shop).await;
    let mut admitted = Vec::new();
    for n in 1..=5u8 {
        shop.admit(&order(&format!("o-{n}"), 1), id(n), Lease::HELD_BY_HOST).await.expect("admitted");
        admitted.push(CheckoutState::start(id(n), order(&format!("o-{n}"), 1)));
    }
    // ck-1, ck-2 and ck-3 fail (at 3, 1 and 2 s), ck-5 fails and ends at 0.5 s; ck-4 never moves.
    for (n, at_ms) in [(1u8, 3_000), (2, 1_000), (3, 2_000), (5, 500)] {
        let failed = admitted[usize::from(n) - 1].clone().apply(Event::StepFailed { detail: "declined".into() });
        let mut failed = failed.expect("a placed checkout can fail");
        if n == 5 {
            failed = close_failed(failed);
        }
        shop.save(&id(n), Fence::FIRST, &failed, &[step(at_ms, &failed)]).await.expect("saved");
    }
    let query =
        |phase, after: Option<Position>, moved_before_ms, limit| PhaseQuery { phase, after, moved_before_ms, limit };
    let listed = shop.list(&query(Phase::Compensating, None, None, 10)).await.expect("listed");
    assert_eq!(ids(&listed), ["ck-2@1000", "ck-3@2000", "ck-1@3000"]);
    assert_eq!(listed[0].order.as_str(), "o-2");
    assert!(listed.iter().all(|l| l.phase == Phase::Compensating));
    let first = shop.list(&query(Phase::Compensating, None, None, 2)).await.expect("listed");
    assert_eq!(ids(&first), ["ck-2@1000", "ck-3@2000"]);
    let rest = shop.list(&query(Phase::Compensating, Some(first[1].position()), None, 2)).await.expect("listed");
    assert_eq!(ids(&rest), ["ck-1@3000"]);
    let stuck = shop.list(&query(Phase::Compensating, None, Some(2_000), 10)).await.expect("listed");
    assert_eq!(ids(&stuck), ["ck-2@1000"], "moved before 2 s, strictly");
    assert_eq!(ids(&shop.list(&query(Phase::Placed, None, None, 10)).await.expect("listed")), ["ck-4@0"]);
    assert_eq!(ids(&shop.list(&query(Phase::Compensated, None, None, 10)).await.expect("listed")), ["ck-5@500"]);
    assert_eq!(ids(&shop.list(&query(Phase::Dispatched, None, None, 10)).await.expect("listed")), Vec::<String>::new());

    // A save without a step leaves when it moved; one with a step moves it to the end.
    let ck2 = shop.load(&id(2)).await.expect("loaded").expect("there");
    shop.save(&id(2), Fence::FIRST, &ck2, &[]).await.expect("saved");
    let still = shop.list(&query(Phase::Compensating, None, None, 1)).await.expect("listed");
    assert_eq!(ids(&still), ["ck-2@1000"]);
    shop.save(&id(2), Fence::FIRST, &ck2, &[step(4_000, &ck2)]).await.expect("saved");
    let moved = shop.list(&query(Phase::Compensating, None, None, 10)).await.expect("listed");
    assert_eq!(ids(&moved), ["ck-3@2000", "ck-1@3000", "ck-2@4000"]);

    // Across phases, a page at a time, with a cursor a client can carry.
    let mut listing =
        Listing { phases: vec![Phase::Compensating, Phase::Placed], moved_before_ms: None, after: None, limit: 2 };
    let page = list(&shop, &listing).await.expect("listed");
    assert_eq!(ids(&page.items), ["ck-3@2000", "ck-1@3000"]);
    let cursor = page.next.expect("more to come").to_string();
    assert_eq!(cursor, "compensating.3000.ck-1");
    listing.after = Some(cursor.parse::<Cursor>().expect("a cursor reads back"));
    let page = list(&shop, &listing).await.expect("listed");
    assert_eq!(ids(&page.items), ["ck-2@4000", "ck-4@0"]);
    assert_eq!(page.next, None);
}
