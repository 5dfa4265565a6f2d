//! The in-memory inventory honours the ledger's tombstones for reservations.

use checkout_domain::protocol::Unavailable;
use checkout_domain::stores::Inventory;
use checkout_domain::{BookId, CheckoutId, Effect, EffectKey, Money};

fn key(order: &str, effect: Effect) -> EffectKey {
    EffectKey::new(&CheckoutId::new(order).unwrap(), effect)
}

#[test]
fn a_reservation_after_its_release_is_refused_as_withdrawn() {
    let book = BookId::new("b-1").unwrap();
    let mut inventory = Inventory::default();
    inventory.add_book(book.clone(), 3, Money::from_minor_units(10)).unwrap();
    let k = key("o-1", Effect::ReserveStock);
    assert_eq!(inventory.release(&k, &book, 1).unwrap().quantity, 0);
    assert_eq!(inventory.reserve(&k, &book, 1), Err(Unavailable::Withdrawn));
    assert_eq!(inventory.stock.balance(&book), Some(3));
}

/// A replayed reservation gets its first answer, price included, even after the price changed.
#[test]
fn a_replayed_reservation_is_answered_with_its_original_price() {
    let book = BookId::new("b-1").unwrap();
    let mut inventory = Inventory::default();
    inventory.add_book(book.clone(), 3, Money::from_minor_units(10)).unwrap();
    let k = key("o-1", Effect::ReserveStock);
    assert_eq!(inventory.reserve(&k, &book, 2).unwrap().unit_price, Money::from_minor_units(10));
    inventory.add_book(book.clone(), 1, Money::from_minor_units(99)).unwrap();
    assert_eq!(inventory.reserve(&k, &book, 2).unwrap().unit_price, Money::from_minor_units(10));
    assert_eq!(inventory.stock.balance(&book), Some(1));
    assert_eq!(inventory.reserve(&k, &book, 1), Err(Unavailable::KeyReused));
    assert_eq!(inventory.release(&k, &book, 2).unwrap().quantity, 2);
    assert_eq!(inventory.reserve(&k, &book, 2), Err(Unavailable::Withdrawn), "released: takes nothing");
}

/// Reservations taken under different prices each keep their own, through more than one change.
#[test]
fn each_reservation_keeps_the_price_it_was_given() {
    let book = BookId::new("b-1").unwrap();
    let mut inventory = Inventory::default();
    inventory.add_book(book.clone(), 5, Money::from_minor_units(10)).unwrap();
    let (first, second) = (key("o-1", Effect::ReserveStock), key("o-2", Effect::ReserveStock));
    inventory.reserve(&first, &book, 1).unwrap();
    inventory.add_book(book.clone(), 4, Money::from_minor_units(20)).unwrap();
    inventory.reserve(&second, &book, 1).unwrap();
    inventory.add_book(book.clone(), 3, Money::from_minor_units(30)).unwrap();
    assert_eq!(inventory.reserve(&first, &book, 1).unwrap().unit_price, Money::from_minor_units(10));
    assert_eq!(inventory.reserve(&second, &book, 1).unwrap().unit_price, Money::from_minor_units(20));
    let third = key("o-3", Effect::ReserveStock);
    assert_eq!(inventory.reserve(&third, &book, 1).unwrap().unit_price, Money::from_minor_units(30));
}
