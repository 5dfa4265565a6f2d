//! The store semantics the saga relies on, as plain in-memory values: every take is keyed and
//! happens at most once per key, and a give-back returns exactly what its key took, once.
//!
//! These are what make the saga's guarantees hold: an adapter over a real store (a DynamoDB
//! conditional write, the embedded store) must behave like this, and the model checker runs the
//! saga against these values. They are pure data structures, not IO.

use std::collections::BTreeMap;

use crate::checkout::Event;
use crate::command::Command;
use crate::keys::EffectKey;
use crate::money::{Money, Points};
use crate::order::{BookId, UserId};
use crate::states::{
    ChargeReceipt, PointsRedemption, PointsRestored, Refund, StockReleased, StockReservation, Unavailable,
};

/// How much a take may take from an account's balance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TakeRule {
    /// All of it or nothing, and only if the balance covers it.
    Exactly(u64),
    /// As much of it as the balance has (possibly nothing).
    UpTo(u64),
}

/// Why a take took nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TakeRefused {
    #[error("the account has {available}, less than asked")]
    Shortfall { available: u64 },
    #[error("no such account")]
    UnknownAccount,
    #[error("the key was already given back before anything was taken")]
    Withdrawn,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum EntryState {
    Taken,
    Returned,
    /// A give-back arrived first; a late take under the key must not take anything.
    Withdrawn,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Entry<A> {
    account: A,
    amount: u64,
    state: EntryState,
}

/// Balances per account and the record of every keyed take.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ledger<A: Ord> {
    balances: BTreeMap<A, u64>,
    entries: BTreeMap<EffectKey, Entry<A>>,
}

impl<A: Ord> Default for Ledger<A> {
    fn default() -> Self {
        Ledger { balances: BTreeMap::new(), entries: BTreeMap::new() }
    }
}

impl<A: Ord + Clone> Ledger<A> {
    pub fn open(&mut self, account: A, balance: u64) {
        self.balances.insert(account, balance);
    }

    /// Adds to an account from outside any checkout (a delivery of stock, points earned).
    pub fn deposit(&mut self, account: &A, amount: u64) {
        *self.balances.entry(account.clone()).or_insert(0) += amount;
    }

    pub fn balance(&self, account: &A) -> Option<u64> {
        self.balances.get(account).copied()
    }

    /// Takes from `account` under `key`. A repeated take under a key that already took returns
    /// the first answer and takes nothing more.
    pub fn take(&mut self, key: &EffectKey, account: &A, rule: TakeRule) -> Result<u64, TakeRefused> {
        if let Some(entry) = self.entries.get(key) {
            return match entry.state {
                EntryState::Taken | EntryState::Returned => Ok(entry.amount),
                EntryState::Withdrawn => Err(TakeRefused::Withdrawn),
            };
        }
        let balance = self.balances.get_mut(account).ok_or(TakeRefused::UnknownAccount)?;
        let amount = match rule {
            TakeRule::Exactly(n) if n <= *balance => n,
            TakeRule::Exactly(_) => return Err(TakeRefused::Shortfall { available: *balance }),
            TakeRule::UpTo(cap) => cap.min(*balance),
        };
        *balance -= amount;
        self.entries.insert(key.clone(), Entry { account: account.clone(), amount, state: EntryState::Taken });
        Ok(amount)
    }

    /// Gives back what `key` took, once; returns how much that was (zero if nothing).
    pub fn give_back(&mut self, key: &EffectKey, account: &A) -> u64 {
        match self.entries.get_mut(key) {
            Some(entry) if entry.state == EntryState::Taken => {
                entry.state = EntryState::Returned;
                *self.balances.entry(entry.account.clone()).or_insert(0) += entry.amount;
                entry.amount
            }
            Some(_) => 0,
            None => {
                let tombstone = Entry { account: account.clone(), amount: 0, state: EntryState::Withdrawn };
                self.entries.insert(key.clone(), tombstone);
                0
            }
        }
    }

    /// What `key` has taken and not given back.
    pub fn held_by(&self, key: &EffectKey) -> u64 {
        match self.entries.get(key) {
            Some(entry) if entry.state == EntryState::Taken => entry.amount,
            _ => 0,
        }
    }
}

/// Copies in stock per book, and each book's unit price.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Inventory {
    pub stock: Ledger<BookId>,
    prices: BTreeMap<BookId, Money>,
}

impl Inventory {
    pub fn add_book(&mut self, book: BookId, copies: u32, unit_price: Money) {
        self.stock.open(book.clone(), u64::from(copies));
        self.prices.insert(book, unit_price);
    }

    pub fn reserve(&mut self, key: &EffectKey, book: &BookId, quantity: u32) -> Result<StockReservation, Unavailable> {
        let unit_price = *self.prices.get(book).ok_or(Unavailable::UnknownBook)?;
        match self.stock.take(key, book, TakeRule::Exactly(u64::from(quantity))) {
            Ok(_) => Ok(StockReservation { unit_price }),
            Err(TakeRefused::Shortfall { available }) => Err(Unavailable::OutOfStock {
                requested: quantity,
                available: u32::try_from(available).unwrap_or(u32::MAX),
            }),
            Err(TakeRefused::UnknownAccount) => Err(Unavailable::UnknownBook),
            Err(TakeRefused::Withdrawn) => Err(Unavailable::Withdrawn),
        }
    }

    pub fn release(&mut self, key: &EffectKey, book: &BookId) -> StockReleased {
        let quantity = self.stock.give_back(key, book);
        StockReleased { quantity: u32::try_from(quantity).unwrap_or(u32::MAX) }
    }
}

/// The three stores a checkout touches, answering commands the way the saga expects.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Stores {
    pub inventory: Inventory,
    pub points: Ledger<UserId>,
    /// Each customer's spendable funds; a charge takes from them, a refund gives back.
    pub wallets: Ledger<UserId>,
}

/// The payment service declined the charge; nothing was charged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("payment declined: {0}")]
pub struct Declined(pub TakeRefused);

impl Stores {
    /// Performs a store command and returns the event it reports to the checkout, or `None` for
    /// a command that no store handles (the courier request and notification). `now_ms` is the
    /// time the reply is received, which starts the courier deadline after a charge.
    pub fn perform(&mut self, command: &Command, now_ms: u64) -> Option<Event> {
        Some(match command {
            Command::ReserveStock { key, book, quantity } => match self.inventory.reserve(key, book, quantity.get()) {
                Ok(reservation) => Event::StockReserved(reservation),
                Err(unavailable) => Event::StockUnavailable(unavailable),
            },
            Command::RedeemPoints { key, user, up_to } => {
                // A customer with no points account has no points to redeem, and a key already
                // given back takes nothing: both redeem zero, which is what was taken.
                let taken = self.points.take(key, user, TakeRule::UpTo(up_to.get())).unwrap_or(0);
                Event::PointsRedeemed(PointsRedemption { points: Points::new(taken) })
            }
            Command::Charge { key, user, amount } => {
                match self.wallets.take(key, user, TakeRule::Exactly(amount.minor_units())) {
                    Ok(charged) => {
                        Event::Charged { receipt: ChargeReceipt { amount: Money::from_minor_units(charged) }, now_ms }
                    }
                    Err(refused) => Event::StepFailed { detail: Declined(refused).to_string() },
                }
            }
            Command::ReleaseStock { key, book } => Event::StockReleased(self.inventory.release(key, book)),
            Command::RestorePoints { key, user } => {
                Event::PointsRestored(PointsRestored { points: Points::new(self.points.give_back(key, user)) })
            }
            Command::Refund { key, user } => {
                Event::Refunded(Refund { amount: Money::from_minor_units(self.wallets.give_back(key, user)) })
            }
            Command::RequestCourier { .. } | Command::NotifyCourier { .. } => return None,
        })
    }
}
