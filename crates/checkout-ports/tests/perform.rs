//! `perform` sends each command to its port, with the sender's fence: a store command to the
//! stores, whose event comes back untouched; the courier request to the queue (no event: the
//! worker answers later); the notice to the notifier. A superseded fence and a failed call come
//! back as errors.

use checkout_domain::fencing::{Fence, Superseded};
use checkout_domain::protocol::{CallError, ChargeReceipt, StockReservation, Unavailable};
use checkout_domain::{BookId, CheckoutId, Command, Effect, EffectKey, Event, Money, Quantity, TaskToken, UserId};
use checkout_domain::{CourierId, Order, Points};
use checkout_ports::{perform, Adapters, MockCourierQueue, MockKeyedStores, MockNotifier, PortError};

struct Mocks {
    stores: MockKeyedStores,
    notifier: MockNotifier,
    courier: MockCourierQueue,
}

impl Mocks {
    fn new() -> Mocks {
        Mocks { stores: MockKeyedStores::new(), notifier: MockNotifier::new(), courier: MockCourierQueue::new() }
    }

    fn adapters(&self) -> Adapters<'_> {
        Adapters { stores: &self.stores, notifier: &self.notifier, courier: &self.courier }
    }
}

fn key(effect: Effect) -> EffectKey {
    EffectKey::new(&CheckoutId::new("ck-1").unwrap(), effect)
}

fn order() -> Order {
    Order::from_json(r#"{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":2}"#).unwrap()
}

fn reserve() -> Command {
    Command::ReserveStock {
        key: key(Effect::ReserveStock),
        book: BookId::new("b-1").unwrap(),
        quantity: Quantity::new(2).unwrap(),
    }
}

fn charge() -> Command {
    Command::Charge { key: key(Effect::Charge), user: UserId::new("u-1").unwrap(), amount: Money::from_minor_units(60) }
}

#[tokio::test]
async fn each_command_goes_to_its_port_with_the_fence() {
    let fence = Fence::from_stored(3);
    let mut mocks = Mocks::new();
    mocks
        .stores
        .expect_perform()
        .withf(move |f, command, now| *f == fence && *command == reserve() && *now == 0)
        .times(1)
        .returning(|_, _, _| Ok(Event::StockReserved(StockReservation { unit_price: Money::from_minor_units(30) })));
    mocks
        .stores
        .expect_perform()
        .withf(move |f, command, now| *f == fence && *command == charge() && *now == 1_234)
        .times(1)
        .returning(|_, _, now_ms| {
            Ok(Event::Charged { receipt: ChargeReceipt { amount: Money::from_minor_units(60) }, now_ms })
        });
    mocks
        .courier
        .expect_send()
        .withf(|r| r.token.as_str() == "t-9" && r.deadline_ms == 5 && r.order == order())
        .times(1)
        .returning(|_| Ok(()));
    mocks
        .notifier
        .expect_notify()
        .withf(move |f, k, c, o| {
            *f == fence && *k == key(Effect::NotifyCourier) && c.as_str() == "c-1" && *o == order()
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));

    let reserved = perform(mocks.adapters(), fence, &reserve(), 0).await.unwrap();
    assert_eq!(reserved, Some(Event::StockReserved(StockReservation { unit_price: Money::from_minor_units(30) })));

    let charged = perform(mocks.adapters(), fence, &charge(), 1_234).await.unwrap();
    let receipt = ChargeReceipt { amount: Money::from_minor_units(60) };
    assert_eq!(charged, Some(Event::Charged { receipt, now_ms: 1_234 }), "the reply's arrival time goes to the stores");

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
    let out_of_stock = Event::StockUnavailable(Unavailable::OutOfStock { requested: 2, available: 1 });
    let answer = out_of_stock.clone();
    mocks.stores.expect_perform().withf(|_, c, _| *c == reserve()).returning(move |_, _, _| Ok(answer.clone()));
    mocks
        .stores
        .expect_perform()
        .withf(|_, c, _| *c == charge())
        .returning(|_, _, _| Err(CallError::Refused("card declined".into()).into()));
    mocks
        .stores
        .expect_perform()
        .withf(|_, c, _| matches!(c, Command::RestorePoints { .. }))
        .returning(|_, _, _| Err(Superseded { held: 1, current: 2 }.into()));
    mocks.notifier.expect_notify().returning(|_, _, _, _| Err(CallError::Unknown("timed out".into()).into()));

    assert_eq!(perform(mocks.adapters(), Fence::FIRST, &reserve(), 0).await.unwrap(), Some(out_of_stock));

    let declined = perform(mocks.adapters(), Fence::FIRST, &charge(), 0).await.unwrap_err();
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

    let notify = Command::NotifyCourier {
        key: key(Effect::NotifyCourier),
        courier: CourierId::new("c-1").unwrap(),
        order: order(),
    };
    let lost = perform(mocks.adapters(), Fence::FIRST, &notify, 0).await.unwrap_err();
    assert_eq!(lost, PortError::Call(CallError::Unknown("timed out".into())));
}
