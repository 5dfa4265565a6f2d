//! The property-based heart of the suite: every generated sequence of keyed calls gets, call by
//! call, the answer the store rules themselves give, and leaves the same balances and holdings.

use std::future::Future;

use checkout_domain::fencing::Fence;
use checkout_domain::protocol::CallError;
use checkout_domain::stores::Stores;
use checkout_domain::{CheckoutId, Command, Effect, Event, Money, Points, Quantity};
use checkout_ports::{perform, PortError};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::{adapters, book, key, seed, user, Subject};

/// The oracle seeded the same way.
fn seeded_oracle() -> Stores {
    let mut stores = Stores::default();
    stores.inventory.add_book(book(0), 3, Money::from_minor_units(30)).expect("small");
    stores.inventory.add_book(book(1), 1, Money::from_minor_units(50)).expect("small");
    for (n, funds, points) in [(0, 100, 10), (1, 40, 0)] {
        stores.wallets.open(user(n), funds).expect("small");
        stores.points.open(user(n), points).expect("small");
    }
    stores
}

/// One keyed call of a generated sequence: which checkout's key, which account (2 is unknown),
/// and how much.
#[derive(Clone, Debug)]
enum Call {
    Reserve { checkout: u8, book: u8, quantity: u64 },
    Release { checkout: u8, book: u8, quantity: u64 },
    Redeem { checkout: u8, user: u8, up_to: u64 },
    Restore { checkout: u8, user: u8, up_to: u64 },
    Charge { checkout: u8, user: u8, amount: u64 },
    Refund { checkout: u8, user: u8, amount: u64 },
}

impl Call {
    fn command(&self) -> Command {
        match *self {
            Call::Reserve { checkout, book: b, quantity } => Command::ReserveStock {
                key: key(checkout, Effect::ReserveStock),
                book: book(b),
                quantity: Quantity::new(quantity).expect("1 or more"),
            },
            Call::Release { checkout, book: b, quantity } => Command::ReleaseStock {
                key: key(checkout, Effect::ReserveStock),
                book: book(b),
                quantity: Quantity::new(quantity).expect("1 or more"),
            },
            Call::Redeem { checkout, user: u, up_to } => Command::RedeemPoints {
                key: key(checkout, Effect::RedeemPoints),
                user: user(u),
                up_to: Points::new(up_to),
            },
            Call::Restore { checkout, user: u, up_to } => Command::RestorePoints {
                key: key(checkout, Effect::RedeemPoints),
                user: user(u),
                up_to: Points::new(up_to),
            },
            Call::Charge { checkout, user: u, amount } => Command::Charge {
                key: key(checkout, Effect::Charge),
                user: user(u),
                amount: Money::from_minor_units(amount),
            },
            Call::Refund { checkout, user: u, amount } => Command::Refund {
                key: key(checkout, Effect::Charge),
                user: user(u),
                amount: Money::from_minor_units(amount),
            },
        }
    }
}

/// Points a redemption asks for, or a restore names: 0 to 15, by fives.
fn points() -> impl Strategy<Value = u64> {
    (0u64..4).prop_map(|n| n * 5)
}

/// Amounts charged or refunded: 30 to 120 (beyond what u-0 and u-1 have), by thirties.
fn money() -> impl Strategy<Value = u64> {
    (1u64..5).prop_map(|n| n * 30)
}

fn call_strategy() -> impl Strategy<Value = Call> {
    let checkout = 0u8..3;
    let account = 0u8..3;
    prop_oneof![
        (checkout.clone(), account.clone(), 1u64..4).prop_map(|(checkout, book, quantity)| Call::Reserve {
            checkout,
            book,
            quantity
        }),
        (checkout.clone(), account.clone(), 1u64..4).prop_map(|(checkout, book, quantity)| Call::Release {
            checkout,
            book,
            quantity
        }),
        // Amounts from small sets, so that a give-back often names its key's take and often not.
        (checkout.clone(), account.clone(), points()).prop_map(|(checkout, user, up_to)| Call::Redeem {
            checkout,
            user,
            up_to
        }),
        (checkout.clone(), account.clone(), points()).prop_map(|(checkout, user, up_to)| Call::Restore {
            checkout,
            user,
            up_to
        }),
        (checkout.clone(), account.clone(), money()).prop_map(|(checkout, user, amount)| Call::Charge {
            checkout,
            user,
            amount
        }),
        (checkout, account, money()).prop_map(|(checkout, user, amount)| Call::Refund { checkout, user, amount }),
    ]
}

/// An answer, as the contract compares them: the event, or that the call was refused for good,
/// as an event of the store rules or an error (the reason's wording is the adapter's own).
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    Event(Event),
    RefusedForGood,
}

fn oracle_answer(event: Event) -> Answer {
    match event {
        Event::StepFailed { .. } | Event::CompensationRefused { .. } => Answer::RefusedForGood,
        event => Answer::Event(event),
    }
}

fn subject_answer(result: Result<Option<Event>, PortError>) -> Result<Answer, String> {
    match result {
        Ok(Some(event)) => Ok(oracle_answer(event)),
        Err(PortError::Call(CallError::Refused(_))) => Ok(Answer::RefusedForGood),
        other => Err(format!("not an answer the contract allows: {other:?}")),
    }
}

/// Runs `test` on a fresh runtime: the property-based test makes one per case.
fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime").block_on(future)
}

/// Every generated sequence of keyed calls gets, call by call, the answer the store rules
/// give, and leaves the same balances and holdings.
pub fn keyed_calls_answer_as_the_oracle<S, F, Fut>(make: F)
where
    S: Subject,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(64);
    let mut runner = TestRunner::new(Config { cases, ..Config::default() });
    let calls = proptest::collection::vec(call_strategy(), 1..40);
    let result = runner.run(&calls, |calls| {
        let outcome: Result<(), String> = block_on(async {
            let shop = make().await;
            seed(&shop).await;
            let mut oracle = seeded_oracle();
            for (i, call) in calls.iter().enumerate() {
                let command = call.command();
                let expected = oracle_answer(
                    oracle.perform(Fence::FIRST, &command, 0).expect("one fence").expect("a store command"),
                );
                let got = subject_answer(perform(adapters(&shop), Fence::FIRST, &command, 0).await)?;
                if got != expected {
                    return Err(format!("call {i} {call:?}: expected {expected:?}, got {got:?}"));
                }
            }
            let balances = shop.balances().await.map_err(|e| e.to_string())?;
            let oracle_stock: Vec<_> = oracle.inventory.stock.accounts().map(|(b, n)| (b.clone(), n)).collect();
            let oracle_funds: Vec<_> = oracle.wallets.accounts().map(|(u, n)| (u.clone(), n)).collect();
            let oracle_points: Vec<_> = oracle.points.accounts().map(|(u, n)| (u.clone(), n)).collect();
            let got_stock: Vec<_> = balances.stock.into_iter().collect();
            let got_funds: Vec<_> = balances.funds.into_iter().collect();
            let got_points: Vec<_> = balances.points.into_iter().collect();
            if (got_stock.clone(), got_funds.clone(), got_points.clone()) != (oracle_stock.clone(), oracle_funds.clone(), oracle_points.clone()) {
                return Err(format!(
                    "balances differ: stock {got_stock:?} / {oracle_stock:?}, funds {got_funds:?} / {oracle_funds:?}, points {got_points:?} / {oracle_points:?}"
                ));
            }
            for checkout in 0..3 {
                let id = CheckoutId::new(format!("ck-{checkout}")).expect("a valid id");
                let held = shop.held(&id).await.map_err(|e| e.to_string())?;
                let expected = (
                    oracle.inventory.stock.held_by(&key(checkout, Effect::ReserveStock)),
                    oracle.points.held_by(&key(checkout, Effect::RedeemPoints)),
                    oracle.wallets.held_by(&key(checkout, Effect::Charge)),
                );
                if (held.stock, held.points, held.money) != expected {
                    return Err(format!("ck-{checkout} holds {held:?}, the oracle {expected:?}"));
                }
            }
            Ok(())
        });
        outcome.map_err(TestCaseError::fail)
    });
    if let Err(failure) = result {
        panic!("the adapter breaks the keyed-store contract: {failure}");
    }
}
