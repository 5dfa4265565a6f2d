//! The order registry: one checkout per order, the same order again gets it back, and another
//! order under a known id is refused with the difference named.

use checkout_domain::registry::{Admission, Conflict, OrderRegistry};
use checkout_domain::{CheckoutId, Order};

fn order(book: &str, quantity: u32, redeem: bool) -> Order {
    Order::from_json(&format!(
        r#"{{"orderId":"o-1","bookId":"{book}","userId":"u-1","quantity":{quantity},"redeem":{redeem}}}"#
    ))
    .unwrap()
}

fn id(text: &str) -> CheckoutId {
    CheckoutId::new(text).unwrap()
}

#[test]
fn the_same_order_again_gets_its_checkout_back() {
    let mut registry = OrderRegistry::default();
    assert_eq!(registry.admit(&order("b-1", 2, false), id("ck-1")), Ok(Admission::Opened(id("ck-1"))));
    assert_eq!(registry.admit(&order("b-1", 2, false), id("ck-2")), Ok(Admission::Existing(id("ck-1"))));
    assert_eq!(registry.checkout_of(order("b-1", 2, false).id()), Some(&id("ck-1")));
}

#[test]
fn another_order_under_a_known_id_is_refused_naming_the_difference() {
    let mut registry = OrderRegistry::default();
    registry.admit(&order("b-1", 2, false), id("ck-1")).unwrap();
    let cases = [
        (order("b-2", 2, false), "bookId", r#""b-1""#, r#""b-2""#),
        (order("b-1", 3, false), "quantity", "2", "3"),
        (order("b-1", 2, true), "redeem", "false", "true"),
    ];
    for (other, field, was, now) in cases {
        let conflict = registry.admit(&other, id("ck-9")).unwrap_err();
        let expected = Conflict::DifferentOrder {
            order: other.id().clone(),
            field: field.into(),
            was: was.into(),
            now: now.into(),
        };
        assert_eq!(conflict, expected);
        assert_eq!(conflict.to_string(), format!("order o-1 was placed before with {field} {was}, not {now}"));
    }
    assert_eq!(
        registry.checkout_of(order("b-1", 2, false).id()),
        Some(&id("ck-1")),
        "the first order keeps its checkout"
    );
}

#[test]
fn a_checkout_id_is_never_used_twice() {
    let mut registry = OrderRegistry::default();
    registry.admit(&order("b-1", 2, false), id("ck-1")).unwrap();
    let second = Order::from_json(r#"{"orderId":"o-2","bookId":"b-1","userId":"u-1","quantity":1}"#).unwrap();
    assert_eq!(registry.admit(&second, id("ck-1")), Err(Conflict::CheckoutIdInUse(id("ck-1"))));
    assert_eq!(registry.admit(&second, id("ck-2")), Ok(Admission::Opened(id("ck-2"))));
    assert_eq!(Admission::Opened(id("ck-2")).checkout(), &id("ck-2"));
    assert_eq!(Admission::Existing(id("ck-3")).checkout(), &id("ck-3"));
}

/// A store reads back the registry rows one admission needs; the restored registry decides as
/// the whole one would.
#[test]
fn a_restored_registry_decides_as_the_whole_one() {
    use checkout_domain::registry::{Admission, Conflict, OrderRegistry};
    use checkout_domain::{CheckoutId, Order};
    let order = Order::from_json(r#"{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":1}"#).unwrap();
    assert_eq!(Order::from_json(&order.to_json()).unwrap(), order, "an order's body reads back as itself");
    let (ck1, ck2) = (CheckoutId::new("ck-1").unwrap(), CheckoutId::new("ck-2").unwrap());
    let mut known = OrderRegistry::restore([(order.clone(), ck1.clone())], []);
    assert_eq!(known.admit(&order, ck2.clone()), Ok(Admission::Existing(ck1.clone())));
    assert_eq!(known.checkout_of(order.id()), Some(&ck1));
    let other = Order::from_json(r#"{"orderId":"o-2","bookId":"b-1","userId":"u-1","quantity":1}"#).unwrap();
    let mut used = OrderRegistry::restore([], [ck2.clone()]);
    assert_eq!(used.admit(&other, ck2.clone()), Err(Conflict::CheckoutIdInUse(ck2)));
    assert_eq!(used.admit(&other, ck1.clone()), Ok(Admission::Opened(ck1)));
}
