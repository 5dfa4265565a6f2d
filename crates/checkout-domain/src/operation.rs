//! What an operator does to a shop's supply, outside any checkout: books restocked, customers
//! credited. An operation only ever adds (it never sets an amount, which would undo every sale
//! made since), and each is journaled with its effect in one atomic write, so the journal alone
//! tells how many copies, how much money and how many points the shop was given: what
//! `checkout audit` holds the ledgers to.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{BookId, Money, UserId};

/// The most any account may hold, supply and held together: what every store can count (SQLite
/// keeps amounts as signed 64-bit integers).
pub const MOST: u64 = i64::MAX as u64;

/// One operator action.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Operation {
    /// `copies` more of `book` on the shelf; with a `price`, sold at it from now on (checkouts
    /// already priced keep theirs). A book the shop has never sold needs a price.
    Restock {
        book: BookId,
        copies: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        price: Option<Money>,
    },
    /// `funds` (minor units) and `points` added to `user`, who is opened if new.
    Credit { user: UserId, funds: u64, points: u64 },
}

/// Why an operation was refused; nothing was changed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("book {book} is new to this shop: restock it with a price")]
    Unpriced { book: BookId },
    #[error("{what} of {account} would pass {MOST}, the most the shop can count")]
    TooMuch { what: &'static str, account: String },
    #[error("the operation adds nothing to accounts already open: name copies, a price, funds or points")]
    Nothing,
}

impl Operation {
    /// What it adds, as (ledger, account, amount): the ledgers are `stock`, `funds` and `points`.
    pub fn deposits(&self) -> Vec<(&'static str, &str, u64)> {
        match self {
            Operation::Restock { book, copies, .. } => vec![("stock", book.as_str(), *copies)],
            Operation::Credit { user, funds, points } => {
                vec![("funds", user.as_str(), *funds), ("points", user.as_str(), *points)]
            }
        }
    }

    /// Checks the operation against the accounts it adds to: `supply` answers, per ledger and
    /// account, what it has in all (taken or not), or `None` if it is not open; `priced` whether
    /// a restocked book has a price. Every store runs this check before it writes.
    pub fn check(
        &self,
        supply: impl Fn(&str, &str) -> Option<u64>,
        priced: impl Fn(&BookId) -> bool,
    ) -> Result<(), Refused> {
        // Opening an account, or pricing a book, is something even with nothing added.
        let opens = self.deposits().iter().any(|(ledger, account, _)| supply(ledger, account).is_none());
        let adds_nothing = !opens
            && match self {
                Operation::Restock { copies, price, .. } => *copies == 0 && price.is_none(),
                Operation::Credit { funds, points, .. } => *funds == 0 && *points == 0,
            };
        if adds_nothing {
            return Err(Refused::Nothing);
        }
        if let Operation::Restock { book, price: None, .. } = self {
            if !priced(book) {
                return Err(Refused::Unpriced { book: book.clone() });
            }
        }
        for (ledger, account, amount) in self.deposits() {
            let had = supply(ledger, account).unwrap_or(0);
            if had.checked_add(amount).is_none_or(|total| total > MOST) {
                let what = match ledger {
                    "stock" => "copies",
                    other => other,
                };
                return Err(Refused::TooMuch { what, account: account.to_string() });
            }
        }
        Ok(())
    }
}

/// An operation as the journal keeps it: when it was done, and what.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Recorded {
    pub at_ms: u64,
    #[serde(flatten)]
    pub operation: Operation,
}

impl Recorded {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an operation serializes")
    }

    pub fn from_json(json: &str) -> Result<Recorded, serde_json::Error> {
        serde_json::from_str(json)
    }
}

/// What the operator journal gave each account, in all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Supplied {
    pub copies: BTreeMap<BookId, u64>,
    pub funds: BTreeMap<UserId, u64>,
    pub points: BTreeMap<UserId, u64>,
}

impl Supplied {
    /// The sums of `journal`; saturating, as a journal past `u64::MAX` is one no ledger matches.
    pub fn of<'a>(journal: impl IntoIterator<Item = &'a Operation>) -> Supplied {
        let mut supplied = Supplied::default();
        let add = |total: &mut u64, amount: u64| *total = total.saturating_add(amount);
        for operation in journal {
            match operation {
                Operation::Restock { book, copies, .. } => {
                    add(supplied.copies.entry(book.clone()).or_default(), *copies)
                }
                Operation::Credit { user, funds, points } => {
                    add(supplied.funds.entry(user.clone()).or_default(), *funds);
                    add(supplied.points.entry(user.clone()).or_default(), *points);
                }
            }
        }
        supplied
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journal_reads_back_and_sums_per_account() {
        let book = BookId::new("b-1").unwrap();
        let user = UserId::new("u-1").unwrap();
        let journal = [
            Operation::Restock { book: book.clone(), copies: 3, price: Some(Money::from_minor_units(700)) },
            Operation::Restock { book: book.clone(), copies: 2, price: None },
            Operation::Credit { user: user.clone(), funds: 500, points: 0 },
            Operation::Credit { user: user.clone(), funds: 0, points: 7 },
        ];
        for operation in &journal {
            let recorded = Recorded { at_ms: 9, operation: operation.clone() };
            assert_eq!(Recorded::from_json(&recorded.to_json()).unwrap(), recorded);
        }
        let supplied = Supplied::of(&journal);
        assert_eq!(supplied.copies[&book], 5);
        assert_eq!((supplied.funds[&user], supplied.points[&user]), (500, 7));
        assert!(Recorded::from_json(r#"{"at_ms":1,"action":"set","book":"b-1","copies":1}"#).is_err());
    }

    #[test]
    fn an_operation_is_checked_before_it_is_written() {
        let book = BookId::new("b-new").unwrap();
        let user = UserId::new("u-1").unwrap();
        let unpriced = Operation::Restock { book: book.clone(), copies: 1, price: None };
        let none = |_: &str, _: &str| None;
        assert_eq!(unpriced.check(none, |_| false), Err(Refused::Unpriced { book: book.clone() }));
        assert_eq!(unpriced.check(none, |_| true), Ok(()));
        let repriced = Operation::Restock { book: book.clone(), copies: 0, price: Some(Money::from_minor_units(1)) };
        assert_eq!(repriced.check(none, |_| false), Ok(()));
        let empty = Operation::Credit { user: user.clone(), funds: 0, points: 0 };
        assert_eq!(empty.check(none, |_| true), Ok(()), "it opens the customer");
        assert_eq!(empty.check(|_: &str, _: &str| Some(3), |_| true), Err(Refused::Nothing));
        let credit = Operation::Credit { user: user.clone(), funds: 1, points: 5 };
        let nearly_full = |ledger: &str, _: &str| (ledger == "points").then_some(MOST - 4);
        assert!(matches!(credit.check(nearly_full, |_| true), Err(Refused::TooMuch { what: "points", .. })));
        assert_eq!(credit.check(|_: &str, _: &str| Some(MOST - 5), |_| true), Ok(()));
    }
}
