//! The keyed store contract the saga relies on, stated as a plain value: every take is keyed and
//! happens at most once per key, and a give-back returns exactly what its key took, once.
//!
//! This is what makes the saga's guarantees hold: every store adapter (in memory, SQLite,
//! DynamoDB) must behave like a [`Ledger`], and the model checker runs the saga against one. It
//! is pure data, not IO.

use std::collections::BTreeMap;

use crate::protocol::EffectKey;

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

/// Where the effect under one key stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntryState {
    /// Taken and still held.
    Taken,
    /// Taken, then given back.
    Returned,
    /// A give-back arrived first; a late take under the key must not take anything.
    Withdrawn,
}

/// The record a key leaves: which account, how much it took, and where it stands.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Entry<A> {
    pub account: A,
    pub amount: u64,
    pub state: EntryState,
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

    /// Every key's record, in key order: what an audit reads to account for each effect.
    pub fn entries(&self) -> impl Iterator<Item = (&EffectKey, &Entry<A>)> {
        self.entries.iter()
    }

    /// What `key` has taken and not given back.
    pub fn held_by(&self, key: &EffectKey) -> u64 {
        match self.entries.get(key) {
            Some(entry) if entry.state == EntryState::Taken => entry.amount,
            _ => 0,
        }
    }
}
