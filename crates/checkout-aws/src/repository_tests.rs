//! The claim race the conformance suite cannot stage from outside: a new incarnation reads
//! the record, the incarnation holding the fence saves a step, then the new one writes its
//! claim.

use checkout_domain::stores::Stores;
use checkout_domain::{BookId, Command, Money, Next, UserId};
use checkout_ports::ShopAdmin;

use super::*;
use crate::moto::MotoServer;

#[tokio::test]
async fn a_claim_read_before_the_holder_saved_is_not_written() {
    let shop = MotoServer::shared().fresh_shop().await.unwrap();
    let (book, user) = (BookId::new("b-1").unwrap(), UserId::new("u-1").unwrap());
    shop.stock_book(&book, 2, Money::from_minor_units(700)).await.unwrap();
    shop.open_customer(&user, 5_000, 0).await.unwrap();
    let order = Order::from_json(r#"{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":1}"#).unwrap();
    let Admission::Opened(id) =
        shop.admit(&order, CheckoutId::new("ck-1").unwrap(), Lease::HELD_BY_HOST).await.unwrap()
    else {
        panic!("a new order opens a checkout")
    };

    let read_by_the_new =
        shop.read_claim(&id, |slot| slot.claim(Lease::HELD_BY_HOST).map(Some)).await.unwrap().unwrap();
    // Meanwhile the admitting incarnation (the first fence) takes its first step and saves.
    let placed = shop.load(&id).await.unwrap().unwrap();
    let Next::Run(reserve @ Command::ReserveStock { .. }) = placed.next() else { panic!("{placed:?}") };
    let mut stores = Stores::default();
    stores.inventory.add_book(book, 2, Money::from_minor_units(700)).unwrap();
    let reserved = placed.apply(stores.perform(Fence::FIRST, &reserve, 0).unwrap().unwrap()).unwrap();
    shop.save(&id, Fence::FIRST, &reserved, &[]).await.unwrap();

    let written = shop.write_claim(&id, read_by_the_new).await.unwrap();
    assert!(written.is_none(), "a claim on the record before the save must not be written");
    let (fence, resumed) = shop.claim(&id, Lease::HELD_BY_HOST).await.unwrap().unwrap();
    assert_eq!(resumed, reserved, "a claim read again resumes from the saved step");
    assert_eq!(fence, Fence::from_stored(2));
}
