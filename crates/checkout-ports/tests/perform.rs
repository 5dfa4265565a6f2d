//! `perform` sends each command to its port, with the sender's fence, and turns the answer into
//! the event the checkout expects; a superseded fence and a failed call come back as errors.

use checkout_domain::fencing::{Fence, Superseded};
use checkout_domain::protocol::{CallError, ChargeReceipt, StockReservation, Unavailable};
use checkout_domain::{BookId, CheckoutId, Command, Effect, EffectKey, Event, Money, Quantity, TaskToken, UserId};
use checkout_domain::{CourierId, Order, Points};
use checkout_ports::{
    perform, Adapters, MockCourierQueue, MockNotifier, MockPaymentService, MockPointsStore, MockStockStore, PortError,
};

struct Mocks {
    stock: MockStockStore,
    points: MockPointsStore,
    payments: MockPaymentService,
    notifier: MockNotifier,
    courier: MockCourierQueue,
}

impl Mocks {
    fn new() -> Mocks {
        Mocks {
            stock: MockStockStore::new(),
            points: MockPointsStore::new(),
            payments: MockPaymentService::new(),
            notifier: MockNotifier::new(),
            courier: MockCourierQueue::new(),
        }
    }

    fn adapters(&self) -> Adapters<'_> {
        Adapters {
            stock: &self.stock,
            points: &self.points,
            payments: &self.payments,
            notifier: &self.notifier,
            courier: &self.courier,
        }
    }
}

fn key(effect: Effect) -> EffectKey {
    EffectKey::new(&CheckoutId::new("ck-1").unwrap(), effect)
}

fn order() -> Order {
    Order::from_json(r#"{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":2}"#).unwrap()
}

#[tokio::test]
async fn each_command_goes_to_its_port_with_the_fence() {
    let fence = Fence::from_stored(3);
    let mut mocks = Mocks::new();
    mocks
        .stock
        .expect_reserve()
        .withf(move |f, k, b, q| *f == fence && *k == key(Effect::ReserveStock) && b.as_str() == "b-1" && q.get() == 2)
        .times(1)
        .returning(|_, _, _, _| Ok(Ok(StockReservation { unit_price: Money::from_minor_units(30) })));
    mocks
        .payments
        .expect_charge()
        .withf(move |f, k, _, amount| *f == fence && *k == key(Effect::Charge) && amount.minor_units() == 60)
        .times(1)
        .returning(|_, _, _, amount| Ok(ChargeReceipt { amount }));
    mocks
        .courier
        .expect_send()
        .withf(|r| r.token.as_str() == "t-9" && r.deadline_ms == 5)
        .times(1)
        .returning(|_| Ok(()));
    mocks
        .notifier
        .expect_notify()
        .withf(move |f, _, c, _| *f == fence && c.as_str() == "c-1")
        .times(1)
        .returning(|_, _, _, _| Ok(()));

    let reserve = Command::ReserveStock {
        key: key(Effect::ReserveStock),
        book: BookId::new("b-1").unwrap(),
        quantity: Quantity::new(2).unwrap(),
    };
    let reserved = perform(mocks.adapters(), fence, &reserve, 0).await.unwrap();
    assert_eq!(reserved, Some(Event::StockReserved(StockReservation { unit_price: Money::from_minor_units(30) })));

    let charge = Command::Charge {
        key: key(Effect::Charge),
        user: UserId::new("u-1").unwrap(),
        amount: Money::from_minor_units(60),
    };
    let charged = perform(mocks.adapters(), fence, &charge, 1_234).await.unwrap();
    let receipt = ChargeReceipt { amount: Money::from_minor_units(60) };
    assert_eq!(
        charged,
        Some(Event::Charged { receipt, now_ms: 1_234 }),
        "the reply's arrival time starts the deadline"
    );

    let request = Command::RequestCourier { token: TaskToken::new("t-9").unwrap(), order: order(), deadline_ms: 5 };
    assert_eq!(perform(mocks.adapters(), fence, &request, 0).await.unwrap(), None, "the worker answers later");

    let notify = Command::NotifyCourier {
        key: key(Effect::NotifyCourier),
        courier: CourierId::new("c-1").unwrap(),
        order: order(),
    };
    assert_eq!(perform(mocks.adapters(), fence, &notify, 0).await.unwrap(), Some(Event::CourierNotified));
}

#[tokio::test]
async fn refusals_and_failures_come_back_as_they_were_given() {
    let mut mocks = Mocks::new();
    mocks
        .stock
        .expect_reserve()
        .returning(|_, _, _, _| Ok(Err(Unavailable::OutOfStock { requested: 2, available: 1 })));
    mocks.payments.expect_charge().returning(|_, _, _, _| Err(CallError::Refused("card declined".into()).into()));
    mocks.points.expect_restore().returning(|_, _, _, _| Err(Superseded { held: 1, current: 2 }.into()));

    let reserve = Command::ReserveStock {
        key: key(Effect::ReserveStock),
        book: BookId::new("b-1").unwrap(),
        quantity: Quantity::new(2).unwrap(),
    };
    let unavailable = perform(mocks.adapters(), Fence::FIRST, &reserve, 0).await.unwrap();
    assert_eq!(unavailable, Some(Event::StockUnavailable(Unavailable::OutOfStock { requested: 2, available: 1 })));

    let charge = Command::Charge {
        key: key(Effect::Charge),
        user: UserId::new("u-1").unwrap(),
        amount: Money::from_minor_units(60),
    };
    let declined = perform(mocks.adapters(), Fence::FIRST, &charge, 0).await.unwrap_err();
    assert_eq!(declined, PortError::Call(CallError::Refused("card declined".into())));

    let restore = Command::RestorePoints {
        key: key(Effect::RedeemPoints),
        user: UserId::new("u-1").unwrap(),
        up_to: Points::new(5),
    };
    let superseded = perform(mocks.adapters(), Fence::FIRST, &restore, 0).await.unwrap_err();
    assert_eq!(
        superseded.to_string(),
        "this orchestrator holds fence 1, but the checkout was claimed since under fence 2"
    );
}
