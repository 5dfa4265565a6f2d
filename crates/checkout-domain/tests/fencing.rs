//! The fencing contract: only the latest claim saves, and once an incarnation has acted at the
//! stores, no older one acts again.

use checkout_domain::fencing::{Fence, FenceBook, FencesExhausted, Lease, Slot, Superseded};
use checkout_domain::CheckoutId;
use proptest::prelude::*;

fn id(n: u8) -> CheckoutId {
    CheckoutId::new(format!("ck-{n}")).unwrap()
}

#[test]
fn a_claim_supersedes_every_older_incarnation() {
    let mut slot = Slot::new("placed", Lease::LAPSED);
    let first = slot.fence();
    assert_eq!(first, Fence::FIRST);
    slot.save(first, "billing").unwrap();
    let second = slot.claim(Lease::LAPSED).unwrap();
    assert_eq!(second.get(), 2);
    assert_eq!(slot.save(first, "compensating"), Err(Superseded { held: 1, current: 2 }));
    assert_eq!(slot.record(), &"billing", "a refused save changes nothing");
    slot.save(second, "dispatched").unwrap();
    assert_eq!(
        Superseded { held: 1, current: 2 }.to_string(),
        "this orchestrator holds fence 1, but the checkout was claimed since under fence 2"
    );
}

#[test]
fn claims_cannot_wrap_around() {
    let mut slot = Slot::from_stored(Fence::from_stored(u64::MAX - 1), Lease::LAPSED, "billing");
    assert_eq!(slot.claim(Lease::LAPSED).map(Fence::get), Ok(u64::MAX));
    assert_eq!(slot.claim(Lease::LAPSED), Err(FencesExhausted(u64::MAX)));
    assert_eq!(slot.fence().get(), u64::MAX, "a failed claim leaves the fence");
    assert_eq!(
        FencesExhausted(u64::MAX).to_string(),
        format!("the checkout has been claimed {} times; no fence is left", u64::MAX)
    );
}

#[test]
fn stores_refuse_an_incarnation_once_a_newer_one_has_acted() {
    let mut book = FenceBook::default();
    let (one, two) = (Fence::FIRST, Fence::from_stored(2));
    assert_eq!(book.check(&id(1), one), Ok(true), "the first command raises the mark");
    book.admit(&id(1), one).unwrap();
    assert_eq!(book.check(&id(1), one), Ok(false), "the same incarnation acts again freely");
    book.admit(&id(1), two).unwrap();
    assert_eq!(book.mark(&id(1)), Some(two));
    assert_eq!(book.admit(&id(1), one), Err(Superseded { held: 1, current: 2 }));
    assert_eq!(book.mark(&id(1)), Some(two), "a refused command leaves the mark");
    book.admit(&id(2), one).unwrap();
    assert_eq!(book.mark(&id(2)), Some(one), "each checkout has its own mark");
}

#[test]
fn a_lapsed_lease_is_taken_over_and_a_live_one_is_not() {
    let mut slot = Slot::new("waiting", Lease::starting(1_000, 500));
    assert_eq!(slot.lease().until_ms(), 1_500);
    assert_eq!(slot.take_over(1_500, Lease::starting(1_500, 500)), Ok(None), "held through its last millisecond");
    assert_eq!(slot.fence(), Fence::FIRST, "a refused takeover changes nothing");
    let taken = slot.take_over(1_501, Lease::starting(1_501, 500)).unwrap().expect("lapsed");
    assert_eq!(taken.get(), 2);
    assert_eq!(slot.lease(), Lease::from_stored(2_001), "the taker holds it under its own lease");
    assert_eq!(slot.save(Fence::FIRST, "compensating"), Err(Superseded { held: 1, current: 2 }));
}

#[test]
fn only_the_latest_claim_renews_its_lease() {
    let mut slot = Slot::new("waiting", Lease::starting(0, 100));
    let second = slot.claim(Lease::starting(50, 100)).unwrap();
    assert_eq!(slot.renew(Fence::FIRST, Lease::starting(90, 100)), Err(Superseded { held: 1, current: 2 }));
    assert_eq!(slot.lease().until_ms(), 150, "a superseded holder's renewal changes nothing");
    slot.renew(second, Lease::starting(140, 100)).unwrap();
    assert_eq!(slot.take_over(200, Lease::starting(200, 100)), Ok(None), "renewed before it lapsed");
}

#[test]
fn a_host_held_lease_never_lapses() {
    let mut slot = Slot::new("waiting", Lease::HELD_BY_HOST);
    assert_eq!(slot.take_over(u64::MAX, Lease::LAPSED), Ok(None));
    assert!(Lease::LAPSED.lapsed(1));
    assert_eq!(Lease::starting(u64::MAX - 1, 10), Lease::HELD_BY_HOST, "a lease saturates, never wraps");
}

proptest! {
    /// Whatever runners with whatever clocks (skewed any way) do, a takeover succeeds exactly when
    /// the latest claim's lease has lapsed on the taker's clock, and a renewal exactly when it is
    /// the latest claim's: so no two incarnations ever both hold the checkout.
    #[test]
    fn takeovers_happen_only_after_the_lease_lapsed(
        steps in proptest::collection::vec((0u8..3, 0usize..4, 0u64..1_000, 1u64..300), 1..60)
    ) {
        let mut slot = Slot::new((), Lease::starting(0, 100));
        let mut incarnations = vec![slot.fence()];
        for (kind, who, now, duration) in steps {
            let lease = Lease::starting(now, duration);
            let before = slot.lease();
            match kind {
                0 => {
                    let taken = slot.take_over(now, lease).unwrap();
                    prop_assert_eq!(taken.is_some(), before.until_ms() < now);
                    if let Some(fence) = taken {
                        incarnations.push(fence);
                        prop_assert_eq!(slot.lease(), lease);
                    } else {
                        prop_assert_eq!(slot.lease(), before);
                    }
                }
                1 => {
                    let held = incarnations[who.min(incarnations.len() - 1)];
                    let latest = held == *incarnations.last().unwrap();
                    prop_assert_eq!(slot.renew(held, lease).is_ok(), latest);
                    prop_assert_eq!(slot.lease(), if latest { lease } else { before });
                }
                _ => {
                    let held = incarnations[who.min(incarnations.len() - 1)];
                    prop_assert_eq!(slot.save(held, ()).is_ok(), held == *incarnations.last().unwrap());
                }
            }
            prop_assert_eq!(slot.fence(), *incarnations.last().unwrap());
        }
    }

    /// Whatever the interleaving of claims and saves by any incarnations, a save succeeds exactly
    /// when its incarnation holds the latest claim, and the record is the last such save.
    #[test]
    fn only_the_latest_claim_saves(steps in proptest::collection::vec((any::<bool>(), 0usize..4), 1..40)) {
        let mut slot = Slot::new(0usize, Lease::LAPSED);
        let mut incarnations = vec![slot.fence()];
        let mut expected = 0usize;
        for (i, (claim, who)) in steps.into_iter().enumerate() {
            if claim {
                incarnations.push(slot.claim(Lease::LAPSED).unwrap());
                continue;
            }
            let held = incarnations[who.min(incarnations.len() - 1)];
            let latest = held == *incarnations.last().unwrap();
            prop_assert_eq!(slot.save(held, i).is_ok(), latest);
            if latest {
                expected = i;
            }
            prop_assert_eq!(*slot.record(), expected);
        }
    }

    /// Whatever order commands arrive in, the stores admit a command only if no newer fence was
    /// admitted before it, so the admitted fences never go down.
    #[test]
    fn admitted_fences_never_go_down(fences in proptest::collection::vec(1u64..6, 1..40)) {
        let mut book = FenceBook::default();
        let mut highest = 0;
        for f in fences {
            let admitted = book.admit(&id(1), Fence::from_stored(f)).is_ok();
            prop_assert_eq!(admitted, f >= highest);
            highest = highest.max(f);
            prop_assert_eq!(book.mark(&id(1)).map(Fence::get), Some(highest));
        }
    }
}

#[test]
fn a_restored_fence_book_refuses_as_the_stored_one_did() {
    let mut book = FenceBook::restore([(id(1), Fence::from_stored(4))]);
    assert_eq!(book.mark(&id(1)), Some(Fence::from_stored(4)));
    assert_eq!(book.admit(&id(1), Fence::from_stored(3)), Err(Superseded { held: 3, current: 4 }));
    assert_eq!(FenceBook::restore([]).mark(&id(1)), None);
}
