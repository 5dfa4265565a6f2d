//! What an operator adds to a live shop (`checkout restock`, `checkout credit`): operations only
//! ever add, racing operations and checkouts all count, a refused one changes nothing, and the
//! journal lists every one applied, so that each account has in all what the journal supplied.

use crate::StoreCalls;
use std::future::Future;
use std::sync::Arc;

use checkout_domain::fencing::Fence;
use checkout_domain::operation::{Operation, Refused, Supplied, MOST};
use checkout_domain::{Effect, Money, Quantity};
use checkout_ports::AdminError;

use crate::{book, key, user, Subject};

fn restock(n: u8, copies: u64, price: Option<u64>) -> Operation {
    Operation::Restock { book: book(n), copies, price: price.map(Money::from_minor_units) }
}

fn credit(n: u8, funds: u64, points: u64) -> Operation {
    Operation::Credit { user: user(n), funds, points }
}

fn refused(result: Result<(), AdminError>) -> Refused {
    match result {
        Err(AdminError::Refused(refused)) => refused,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

pub async fn operations_only_add_and_are_journaled<S, F, Fut>(make: F)
where
    S: Subject,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    let shop = Arc::new(make().await);
    assert_eq!(refused(shop.apply(1, &restock(1, 2, None)).await), Refused::Unpriced { book: book(1) });
    assert!(shop.balances().await.expect("readable").stock.is_empty(), "a refused restock adds no book");

    shop.apply(2, &restock(1, 2, Some(700))).await.expect("a new book with a price");
    let one = Quantity::new(1).expect("valid");
    let first = key(1, Effect::ReserveStock);
    let reserved = shop.reserve(Fence::FIRST, &first, &book(1), one).await.expect("answered").expect("in stock");
    assert_eq!(reserved.unit_price, Money::from_minor_units(700));

    // Operations racing one another, and a checkout's take: every one counts.
    let mut tasks = Vec::new();
    for n in 0..16u8 {
        let shop = Arc::clone(&shop);
        tasks.push(tokio::spawn(async move {
            if n % 2 == 0 {
                shop.apply(3, &restock(1, 1, None)).await.expect("a restock of a known book");
                shop.apply(3, &credit(1, 10, 1)).await.expect("a credit");
            } else {
                let take = key(10 + n, Effect::ReserveStock);
                let _ = shop.reserve(Fence::FIRST, &take, &book(1), one).await.expect("answered");
                shop.apply(3, &credit(1, 10, 1)).await.expect("a credit");
            }
        }));
    }
    for task in tasks {
        task.await.expect("no task panics");
    }
    let balances = shop.balances().await.expect("readable");
    let (shelf, taken) = (balances.stock[&book(1)], balances.held.stock[&book(1)]);
    assert_eq!(shelf + taken, 2 + 8, "every restock added to what the checkouts left: {shelf} + {taken}");
    assert_eq!((balances.funds[&user(1)], balances.points[&user(1)]), (160, 16), "every credit added");

    // A new price holds from now on; a reservation already taken keeps its quote.
    shop.apply(4, &restock(1, 0, Some(900))).await.expect("a new price alone");
    let replay = shop.reserve(Fence::FIRST, &first, &book(1), one).await.expect("answered").expect("kept");
    assert_eq!(replay.unit_price, Money::from_minor_units(700), "the first reservation keeps its quote");
    let later = key(2, Effect::ReserveStock);
    let repriced = shop.reserve(Fence::FIRST, &later, &book(1), one).await.expect("answered").expect("in stock");
    assert_eq!(repriced.unit_price, Money::from_minor_units(900));

    // Refusals change nothing.
    assert_eq!(refused(shop.apply(5, &restock(1, 0, None)).await), Refused::Nothing);
    shop.apply(5, &credit(2, MOST, 0)).await.expect("the most an account holds");
    assert!(matches!(refused(shop.apply(6, &credit(2, 1, 1)).await), Refused::TooMuch { what: "funds", .. }));
    let after = shop.balances().await.expect("readable");
    assert_eq!((after.funds[&user(2)], after.points[&user(2)]), (MOST, 0), "a refused credit adds nothing");

    let journal = shop.operations().await.expect("readable");
    assert_eq!(journal.len(), 1 + 8 + 16 + 1 + 1, "every operation applied, no refused one: {journal:?}");
    assert!(journal.windows(2).all(|w| w[0].at_ms <= w[1].at_ms), "in the order applied: {journal:?}");
    let supplied = Supplied::of(journal.iter().map(|recorded| &recorded.operation));
    let all = shop.balances().await.expect("readable");
    assert_eq!(supplied.copies[&book(1)], all.stock[&book(1)] + all.held.stock[&book(1)]);
    assert_eq!(supplied.funds[&user(1)], all.funds[&user(1)]);
    assert_eq!(supplied.points[&user(1)], all.points[&user(1)]);
}
