//! The keyed store semantics: at most one take per key, give-backs return exactly what was taken.

use checkout_domain::ledger::{
    CorruptAccount, Entry, EntryState, GiveBackRefused, Ledger, Overflow, TakeRefused, TakeRule,
};
use checkout_domain::CheckoutId;
use checkout_domain::{Effect, EffectKey};

fn key(order: &str, effect: Effect) -> EffectKey {
    EffectKey::new(&CheckoutId::new(order).unwrap(), effect)
}

#[test]
fn a_repeated_take_takes_nothing_more() {
    let mut ledger = Ledger::default();
    ledger.open("acct", 5).unwrap();
    let k = key("o-1", Effect::Charge);
    assert_eq!(ledger.take(&k, &"acct", TakeRule::Exactly(3)), Ok(3));
    assert_eq!(ledger.take(&k, &"acct", TakeRule::Exactly(3)), Ok(3));
    assert_eq!(ledger.balance(&"acct"), Some(2));
    assert_eq!(ledger.held_by(&k), 3);
}

#[test]
fn exact_takes_are_all_or_nothing_and_up_to_takes_what_is_there() {
    let mut ledger = Ledger::default();
    ledger.open("acct", 2).unwrap();
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
    ledger.open("acct", 10).unwrap();
    let k = key("o-1", Effect::RedeemPoints);
    ledger.take(&k, &"acct", TakeRule::UpTo(4)).unwrap();
    ledger.deposit(&"acct", 5).unwrap();
    assert_eq!(ledger.give_back(&k, &"acct", TakeRule::UpTo(4)), Ok(4));
    assert_eq!(ledger.held_by(&k), 0, "nothing is held once given back");
    assert_eq!(ledger.give_back(&k, &"acct", TakeRule::UpTo(4)), Ok(0));
    assert_eq!(ledger.balance(&"acct"), Some(15), "added back to the balance as it is now");
}

#[test]
fn a_give_back_before_the_take_blocks_the_late_take() {
    let mut ledger = Ledger::default();
    ledger.open("acct", 10).unwrap();
    let k = key("o-1", Effect::ReserveStock);
    assert_eq!(ledger.give_back(&k, &"acct", TakeRule::Exactly(1)), Ok(0), "nothing was taken, nothing is given");
    assert_eq!(ledger.take(&k, &"acct", TakeRule::Exactly(1)), Err(TakeRefused::Withdrawn));
    assert_eq!(ledger.balance(&"acct"), Some(10));
}

#[test]
fn entries_list_every_key_with_its_account_amount_and_state() {
    let mut ledger = Ledger::default();
    ledger.open("acct", 10).unwrap();
    let (taken, returned, withdrawn) =
        (key("o-1", Effect::Charge), key("o-2", Effect::Charge), key("o-3", Effect::Charge));
    ledger.take(&taken, &"acct", TakeRule::Exactly(2)).unwrap();
    ledger.take(&returned, &"acct", TakeRule::Exactly(3)).unwrap();
    ledger.give_back(&returned, &"acct", TakeRule::Exactly(3)).unwrap();
    ledger.give_back(&withdrawn, &"acct", TakeRule::Exactly(1)).unwrap();
    let entries: Vec<_> = ledger.entries().map(|(k, e)| (k.clone(), e.clone())).collect();
    assert_eq!(
        entries,
        [
            (taken, Entry { account: "acct", rule: Some(TakeRule::Exactly(2)), amount: 2, state: EntryState::Taken }),
            (
                returned,
                Entry { account: "acct", rule: Some(TakeRule::Exactly(3)), amount: 3, state: EntryState::Returned }
            ),
            (withdrawn, Entry { account: "acct", rule: None, amount: 0, state: EntryState::Withdrawn }),
        ]
    );
}

/// A key names one effect: reused for another account or amount, it is refused, not answered
/// with the first take's result (which would let a second effect ride on the first).
#[test]
fn a_key_reused_for_another_account_or_amount_is_refused() {
    let mut ledger = Ledger::default();
    ledger.open("acct", 10).unwrap();
    ledger.open("other", 10).unwrap();
    let k = key("o-1", Effect::Charge);
    assert_eq!(ledger.take(&k, &"acct", TakeRule::Exactly(3)), Ok(3));
    assert_eq!(ledger.take(&k, &"other", TakeRule::Exactly(3)), Err(TakeRefused::KeyReused));
    assert_eq!(ledger.take(&k, &"acct", TakeRule::Exactly(4)), Err(TakeRefused::KeyReused));
    assert_eq!(ledger.take(&k, &"acct", TakeRule::UpTo(3)), Err(TakeRefused::KeyReused));
    assert_eq!(ledger.take(&k, &"acct", TakeRule::Exactly(3)), Ok(3), "the same request is still answered");
    assert_eq!((ledger.balance(&"acct"), ledger.balance(&"other")), (Some(7), Some(10)));
}

#[test]
fn a_take_under_a_key_already_given_back_takes_nothing_and_says_so() {
    let mut ledger = Ledger::default();
    ledger.open("acct", 10).unwrap();
    let k = key("o-1", Effect::ReserveStock);
    ledger.take(&k, &"acct", TakeRule::Exactly(2)).unwrap();
    assert_eq!(ledger.give_back(&k, &"acct", TakeRule::Exactly(2)), Ok(2));
    assert_eq!(ledger.take(&k, &"acct", TakeRule::Exactly(2)), Err(TakeRefused::Returned));
    assert_eq!(ledger.balance(&"acct"), Some(10));
    assert_eq!(ledger.held_by(&k), 0);
}

/// A give-back names the take it undoes: naming another account or rule (a checkout that
/// reached another's key), it gives nothing back and says so, and the take stays held.
#[test]
fn a_give_back_that_names_another_take_is_refused() {
    let mut ledger = Ledger::default();
    ledger.open("acct", 10).unwrap();
    ledger.open("other", 0).unwrap();
    let k = key("o-1", Effect::Charge);
    ledger.take(&k, &"acct", TakeRule::Exactly(4)).unwrap();
    for (account, rule) in
        [("other", TakeRule::Exactly(4)), ("acct", TakeRule::Exactly(3)), ("acct", TakeRule::UpTo(4))]
    {
        assert_eq!(ledger.give_back(&k, &account, rule), Err(GiveBackRefused::NotItsTake), "{account} {rule:?}");
    }
    assert_eq!((ledger.balance(&"acct"), ledger.held_by(&k)), (Some(6), 4), "still held");
    assert_eq!(ledger.give_back(&k, &"acct", TakeRule::Exactly(4)), Ok(4));
    assert_eq!((ledger.balance(&"acct"), ledger.balance(&"other")), (Some(10), Some(0)));
    // A tombstone names its account too.
    let t = key("o-2", Effect::Charge);
    ledger.give_back(&t, &"acct", TakeRule::Exactly(1)).unwrap();
    assert_eq!(ledger.give_back(&t, &"other", TakeRule::Exactly(1)), Err(GiveBackRefused::NotItsTake));
}

/// A give-back of a take whose account is gone (a row a store lost or an operator deleted) is
/// refused, never reported as given back; one under a key that took nothing gives back nothing,
/// truthfully, whether or not the account exists.
#[test]
fn a_give_back_to_no_account_is_refused_unless_nothing_was_taken() {
    let k = key("o-1", Effect::Charge);
    let entry = Entry { account: "gone", rule: Some(TakeRule::Exactly(4)), amount: 4, state: EntryState::Taken };
    let mut ledger = Ledger::restore([], [(k.clone(), entry.clone())]).unwrap();
    assert_eq!(ledger.give_back(&k, &"gone", TakeRule::Exactly(4)), Err(GiveBackRefused::UnknownAccount));
    assert_eq!(ledger.entry(&k), Some(&entry), "unchanged");
    let never = key("o-2", Effect::RedeemPoints);
    assert_eq!(ledger.give_back(&never, &"nobody", TakeRule::UpTo(5)), Ok(0));
}

/// A ledger read back whose keys hold more than their account does, or more than their take's
/// rule could take, is refused: from it a give-back would return money from nowhere.
#[test]
fn a_restored_ledger_that_disagrees_with_its_accounts_is_refused() {
    let (k1, k2) = (key("ck-1", Effect::Charge), key("ck-2", Effect::Charge));
    let taken = |amount, rule| Entry { account: "a", rule: Some(rule), amount, state: EntryState::Taken };
    let beyond_held = Ledger::restore(
        [("a", 10, 3)],
        [(k1.clone(), taken(2, TakeRule::Exactly(2))), (k2.clone(), taken(2, TakeRule::Exactly(2)))],
    );
    assert_eq!(beyond_held.unwrap_err(), CorruptAccount::KeysBeyondHeld { held: 3, by_keys: 4 });
    let beyond_rule = Ledger::restore([("a", 10, 5)], [(k1.clone(), taken(5, TakeRule::Exactly(2)))]);
    assert!(matches!(beyond_rule, Err(CorruptAccount::EntryBeyondRule { .. })));
    let beyond_cap = Ledger::restore([("a", 10, 5)], [(k1.clone(), taken(5, TakeRule::UpTo(4)))]);
    assert!(matches!(beyond_cap, Err(CorruptAccount::EntryBeyondRule { .. })));
    let odd_tombstone = Entry { account: "a", rule: None, amount: 3, state: EntryState::Withdrawn };
    assert!(Ledger::restore([("a", 10, 0)], [(k1.clone(), odd_tombstone)]).is_err());
    // What a slice reads may be some of an account's keys: fewer than it holds for is fine.
    assert!(Ledger::restore([("a", 10, 5)], [(k1, taken(2, TakeRule::Exactly(2)))]).is_ok());
}

/// Arithmetic is checked where an account grows; takes and give-backs move amounts within what
/// the account has, so a full account still gives back what was taken from it.
#[test]
fn an_account_never_overflows() {
    let mut ledger = Ledger::default();
    ledger.open("acct", u64::MAX - 5).unwrap();
    let k = key("o-1", Effect::RedeemPoints);
    assert_eq!(ledger.take(&k, &"acct", TakeRule::UpTo(10)), Ok(10));
    assert_eq!(ledger.deposit(&"acct", 5), Ok(()));
    assert_eq!(ledger.deposit(&"acct", 1), Err(Overflow { supply: u64::MAX, amount: 1 }));
    assert_eq!(ledger.balance(&"acct"), Some(u64::MAX - 10));
    assert_eq!(ledger.give_back(&k, &"acct", TakeRule::UpTo(10)), Ok(10));
    assert_eq!(ledger.balance(&"acct"), Some(u64::MAX));
    assert_eq!(ledger.open("acct", 3), Ok(()), "setting the balance of an open account");
    let j = key("o-2", Effect::RedeemPoints);
    ledger.take(&j, &"acct", TakeRule::Exactly(3)).unwrap();
    assert_eq!(ledger.open("acct", u64::MAX), Err(Overflow { supply: 3, amount: u64::MAX }));
    assert_eq!(ledger.give_back(&j, &"acct", TakeRule::Exactly(3)), Ok(3));
    assert_eq!(ledger.balance(&"acct"), Some(3));
}

/// A store reads back only the part of a ledger one call touches, applies the contract to it and
/// writes back what changed: the slice must behave as the whole ledger does.
#[test]
fn a_restored_slice_behaves_as_the_whole_ledger() {
    let mut whole = Ledger::default();
    whole.open("a", 10).unwrap();
    whole.open("b", 4).unwrap();
    let (k1, k2) = (key("ck-1", Effect::Charge), key("ck-2", Effect::Charge));
    whole.take(&k1, &"a", TakeRule::Exactly(3)).unwrap();
    whole.take(&k2, &"a", TakeRule::Exactly(2)).unwrap();
    assert_eq!(whole.account(&"a"), Some((10, 5)));
    assert_eq!(whole.accounts().collect::<Vec<_>>(), [(&"a", 5), (&"b", 4)]);
    let entry = whole.entry(&k1).cloned().unwrap();
    assert_eq!(entry, Entry { account: "a", rule: Some(TakeRule::Exactly(3)), amount: 3, state: EntryState::Taken });
    assert_eq!(whole.entry(&key("ck-9", Effect::Charge)), None);

    let mut slice = Ledger::restore([("a", 10, 5)], [(k1.clone(), entry)]).unwrap();
    let rule = TakeRule::Exactly(3);
    assert_eq!(slice.give_back(&k1, &"a", rule), whole.give_back(&k1, &"a", rule));
    assert_eq!(slice.account(&"a"), whole.account(&"a"));
    assert_eq!(slice.account(&"a"), Some((10, 2)), "what k2 holds stays held in the slice too");
    assert_eq!(slice.take(&k1, &"a", TakeRule::Exactly(3)), Err(TakeRefused::Returned));

    let all_held = Ledger::<&str>::restore([("a", 2, 2)], []).unwrap();
    assert_eq!(all_held.balance(&"a"), Some(0), "an account whose keys hold all of it is whole");
    assert_eq!(
        Ledger::<&str>::restore([("a", 1, 2)], []).unwrap_err().to_string(),
        "an account holds 2 under its keys but has only 1 in all"
    );
}
