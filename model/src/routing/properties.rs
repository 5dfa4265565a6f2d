//! The routing model's properties: for every execution, and for the shop its invocations act on.

use super::*;

/// Every property, in the order the proofs list them.
pub(super) fn all() -> Vec<Property<RoutingModel>> {
    vec![
        Property::always("an execution that succeeds dispatched its checkout", |_, s: &RoutingState| {
            s.executions.iter().all(|e| {
                e.position != Position::Succeeded
                    || matches!(checkout_of(&s.shop, e), Ok(Some(c)) if matches!(c.next(), Next::Finished(Outcome::Dispatched)))
            })
        }),
        Property::always("an execution that fails names its checkout's end", |_, s: &RoutingState| {
            s.executions.iter().all(|e| {
                let Position::Failed(error) = &e.position else { return true };
                let expected = match checkout_of(&s.shop, e) {
                    Err(()) => REJECTED,
                    Ok(None) => return false,
                    Ok(Some(checkout)) => match checkout.next() {
                        Next::Finished(Outcome::Rejected) => REJECTED,
                        Next::Finished(Outcome::Compensated) => COMPENSATED,
                        Next::Finished(Outcome::NeedsOperator) => NEEDS_OPERATOR,
                        _ => return false,
                    },
                };
                error == expected
            })
        }),
        Property::always("a failed execution leaves nothing taken", |_, s: &RoutingState| {
            s.executions.iter().all(|e| {
                let Position::Failed(error) = &e.position else { return true };
                match checkout_of(&s.shop, e) {
                    Ok(Some(checkout)) => error == NEEDS_OPERATOR || held(&s.shop, checkout.id()) == 0,
                    _ => true,
                }
            })
        }),
        Property::always("a checkout holds what its end says", |_, s: &RoutingState| {
            s.shop.checkouts().all(|checkout| {
                let (id, order) = (checkout.id(), checkout.order());
                let stores = &s.shop.stores;
                let copies = stores.inventory.stock.held_by(&EffectKey::new(id, Effect::ReserveStock));
                let charged = stores.wallets.held_by(&EffectKey::new(id, Effect::Charge));
                match checkout.next() {
                    Next::Finished(Outcome::Dispatched) => {
                        copies == u64::from(order.quantity().get())
                            && charged == u64::from(order.quantity().get()) * UNIT_PRICE
                    }
                    Next::Finished(Outcome::Rejected | Outcome::Compensated) => held(&s.shop, id) == 0,
                    _ => true,
                }
            })
        }),
        Property::always("a courier collects only what is sold", |_, s: &RoutingState| {
            s.shop.checkouts().all(|checkout| {
                let id = checkout.id();
                let told = s.shop.was_notified(&EffectKey::new(id, Effect::NotifyCourier));
                let copies = s.shop.stores.inventory.stock.held_by(&EffectKey::new(id, Effect::ReserveStock));
                !told
                    || (copies == u64::from(checkout.order().quantity().get())
                        && !matches!(checkout.next(), Next::Finished(Outcome::Rejected | Outcome::Compensated)))
            })
        }),
        Property::always("one checkout per order", |_, s: &RoutingState| s.shop.checkouts().count() <= 1),
        Property::eventually("every execution ends", |_, s: &RoutingState| {
            s.executions.iter().all(|e| !matches!(e.position, Position::At(_)))
        }),
        Property::sometimes("a cancelled checkout's execution ends naming it compensated", |_, s: &RoutingState| {
            s.cancelled && s.executions.iter().any(|e| e.position == Position::Failed(COMPENSATED.into()))
        }),
    ]
}
