//! The fencing contract: only the latest claim saves, and once an incarnation has acted at the
//! stores, no older one acts again.

use checkout_domain::fencing::{Fence, FenceBook, FencesExhausted, Slot, Superseded};
use checkout_domain::CheckoutId;
use proptest::prelude::*;

fn id(n: u8) -> CheckoutId {
    CheckoutId::new(format!("ck-{n}")).unwrap()
}

#[test]
fn a_claim_supersedes_every_older_incarnation() {
    let mut slot = Slot::new("placed");
    let first = slot.fence();
    assert_eq!(first, Fence::FIRST);
    slot.save(first, "billing").unwrap();
    let second = slot.claim().unwrap();
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
    let mut slot = Slot::from_stored(Fence::from_stored(u64::MAX - 1), "billing");
    assert_eq!(slot.claim().map(Fence::get), Ok(u64::MAX));
    assert_eq!(slot.claim(), Err(FencesExhausted(u64::MAX)));
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

proptest! {
    /// Whatever the interleaving of claims and saves by any incarnations, a save succeeds exactly
    /// when its incarnation holds the latest claim, and the record is the last such save.
    #[test]
    fn only_the_latest_claim_saves(steps in proptest::collection::vec((any::<bool>(), 0usize..4), 1..40)) {
        let mut slot = Slot::new(0usize);
        let mut incarnations = vec![slot.fence()];
        let mut expected = 0usize;
        for (i, (claim, who)) in steps.into_iter().enumerate() {
            if claim {
                incarnations.push(slot.claim().unwrap());
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
