//! The keyed store semantics: at most one take per key, give-backs return exactly what was taken.

use checkout_domain::ledger::{Entry, EntryState, Ledger, TakeRefused, TakeRule};
use checkout_domain::OrderId;
use checkout_domain::{Effect, EffectKey};

fn key(order: &str, effect: Effect) -> EffectKey {
    EffectKey::new(&OrderId::new(order).unwrap(), effect)
}

#[test]
fn a_repeated_take_takes_nothing_more() {
    let mut ledger = Ledger::default();
    ledger.open("acct", 5);
    let k = key("o-1", Effect::Charge);
    assert_eq!(ledger.take(&k, &"acct", TakeRule::Exactly(3)), Ok(3));
    assert_eq!(ledger.take(&k, &"acct", TakeRule::Exactly(3)), Ok(3));
    assert_eq!(ledger.balance(&"acct"), Some(2));
    assert_eq!(ledger.held_by(&k), 3);
}

#[test]
fn exact_takes_are_all_or_nothing_and_up_to_takes_what_is_there() {
    let mut ledger = Ledger::default();
    ledger.open("acct", 2);
    assert_eq!(
        ledger.take(&key("o-1", Effect::ReserveStock), &"acct", TakeRule::Exactly(3)),
        Err(TakeRefused::Shortfall { available: 2 })
    );
    assert_eq!(ledger.take(&key("o-2", Effect::RedeemPoints), &"acct", TakeRule::UpTo(3)), Ok(2));
    assert_eq!(ledger.balance(&"acct"), Some(0));
    assert_eq!(
        ledger.take(&key("o-3", Effect::Charge), &"nobody", TakeRule::UpTo(1)),
        Err(TakeRefused::UnknownAccount)
    );
}

#[test]
fn a_give_back_returns_exactly_what_its_key_took_once() {
    let mut ledger = Ledger::default();
    ledger.open("acct", 10);
    let k = key("o-1", Effect::RedeemPoints);
    ledger.take(&k, &"acct", TakeRule::UpTo(4)).unwrap();
    ledger.deposit(&"acct", 5);
    assert_eq!(ledger.give_back(&k, &"acct"), 4);
    assert_eq!(ledger.held_by(&k), 0, "nothing is held once given back");
    assert_eq!(ledger.give_back(&k, &"acct"), 0);
    assert_eq!(ledger.balance(&"acct"), Some(15), "added back to the balance as it is now");
}

#[test]
fn a_give_back_before_the_take_blocks_the_late_take() {
    let mut ledger = Ledger::default();
    ledger.open("acct", 10);
    let k = key("o-1", Effect::ReserveStock);
    assert_eq!(ledger.give_back(&k, &"acct"), 0, "nothing was taken, nothing is given");
    assert_eq!(ledger.take(&k, &"acct", TakeRule::Exactly(1)), Err(TakeRefused::Withdrawn));
    assert_eq!(ledger.balance(&"acct"), Some(10));
}

#[test]
fn entries_list_every_key_with_its_account_amount_and_state() {
    let mut ledger = Ledger::default();
    ledger.open("acct", 10);
    let (taken, returned, withdrawn) =
        (key("o-1", Effect::Charge), key("o-2", Effect::Charge), key("o-3", Effect::Charge));
    ledger.take(&taken, &"acct", TakeRule::Exactly(2)).unwrap();
    ledger.take(&returned, &"acct", TakeRule::Exactly(3)).unwrap();
    ledger.give_back(&returned, &"acct");
    ledger.give_back(&withdrawn, &"acct");
    let entries: Vec<_> = ledger.entries().map(|(k, e)| (k.clone(), e.clone())).collect();
    assert_eq!(
        entries,
        [
            (taken, Entry { account: "acct", amount: 2, state: EntryState::Taken }),
            (returned, Entry { account: "acct", amount: 3, state: EntryState::Returned }),
            (withdrawn, Entry { account: "acct", amount: 0, state: EntryState::Withdrawn }),
        ]
    );
}
