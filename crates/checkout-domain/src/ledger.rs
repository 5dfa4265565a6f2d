//! The keyed store contract the saga relies on, stated as a plain value. Every store adapter (in
//! memory, SQLite, DynamoDB) must behave like a [`Ledger`], and the model checker runs the saga
//! against one. It is pure data, not IO.
//!
//! The rules, for a take under a key:
//! - it happens at most once per key: a repeat with the same account and request gets the first
//!   answer and takes nothing more;
//! - a repeat that names another account, or asks for another amount, is refused
//!   ([`TakeRefused::KeyReused`]): a key names one effect, never two;
//! - a take under a key whose take was already given back takes nothing and says so
//!   ([`TakeRefused::Returned`]), and so does a take that arrives after a give-back that found
//!   nothing to give back ([`TakeRefused::Withdrawn`], the tombstone).
//!
//! And for a give-back: it names the take it undoes (the account and the rule the take asked
//! by) and returns exactly what its key took, to that account, once; a give-back that names
//! another account or rule than the key's take is refused ([`GiveBackRefused::NotItsTake`]), and
//! so is one of a take whose account no longer exists ([`GiveBackRefused::UnknownAccount`]):
//! neither is ever reported as given back. Arithmetic cannot overflow: an account's supply (its balance plus
//! what keys hold of it) is checked when it grows, and takes and give-backs only move amounts
//! within it; a ledger read back whose keys hold more than their accounts is refused.

use std::collections::BTreeMap;

use crate::protocol::EffectKey;

/// How much a take may take from an account's balance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
    #[error("the key already took and gave back; it takes nothing again")]
    Returned,
    #[error("the key already names a take from another account or of another amount")]
    KeyReused,
}

/// Why a give-back gave nothing back. Both are for good: retrying cannot change them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GiveBackRefused {
    #[error("the key's take was made from another account, or asked for another amount")]
    NotItsTake,
    #[error("no such account to give back to")]
    UnknownAccount,
}

/// A ledger read back from a store describes no ledger.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CorruptAccount {
    #[error("an account holds {held} under its keys but has only {supply} in all")]
    HeldBeyondSupply { supply: u64, held: u64 },
    #[error("an account's keys hold {by_keys} of it, more than the {held} it holds for keys")]
    KeysBeyondHeld { held: u64, by_keys: u64 },
    #[error("a key's entry holds {amount}, which its take's rule ({rule:?}) could not have taken")]
    EntryBeyondRule { rule: Option<TakeRule>, amount: u64 },
}

/// An account's supply would no longer fit in 64 bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("adding {amount} to an account that holds {supply} in all would overflow")]
pub struct Overflow {
    pub supply: u64,
    pub amount: u64,
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

/// The record a key leaves: which account, what was asked (none for a tombstone), how much it
/// took, and where it stands.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Entry<A> {
    pub account: A,
    pub rule: Option<TakeRule>,
    pub amount: u64,
    pub state: EntryState,
}

/// One account: everything it has (`supply`), of which keys hold `held`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
struct Account {
    supply: u64,
    held: u64,
}

impl Account {
    fn balance(self) -> u64 {
        self.supply - self.held
    }
}

/// Balances per account and the record of every keyed take.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ledger<A: Ord> {
    accounts: BTreeMap<A, Account>,
    entries: BTreeMap<EffectKey, Entry<A>>,
}

impl<A: Ord> Default for Ledger<A> {
    fn default() -> Self {
        Ledger { accounts: BTreeMap::new(), entries: BTreeMap::new() }
    }
}

impl<A: Ord + Clone> Ledger<A> {
    /// A ledger (or the part of one a store read back for one call): accounts as `(account,
    /// supply, held)`, and the entries of the keys involved. Applying the contract's operations to
    /// it and writing back what changed is how a persistent store keeps exactly these rules.
    pub fn restore(
        accounts: impl IntoIterator<Item = (A, u64, u64)>,
        entries: impl IntoIterator<Item = (EffectKey, Entry<A>)>,
    ) -> Result<Ledger<A>, CorruptAccount> {
        let mut ledger = Ledger::default();
        for (account, supply, held) in accounts {
            if held > supply {
                return Err(CorruptAccount::HeldBeyondSupply { supply, held });
            }
            ledger.accounts.insert(account, Account { supply, held });
        }
        // What the entries read say their keys hold of each account: never more than the account
        // says keys hold (the entries read may be only some of them), and each within its rule.
        let mut by_keys: BTreeMap<A, u64> = BTreeMap::new();
        for (key, entry) in entries {
            let fits = match (entry.rule, entry.state) {
                (None, state) => state == EntryState::Withdrawn && entry.amount == 0,
                (Some(_), EntryState::Withdrawn) => entry.amount == 0,
                (Some(TakeRule::Exactly(n)), _) => entry.amount == n,
                (Some(TakeRule::UpTo(cap)), _) => entry.amount <= cap,
            };
            if !fits {
                return Err(CorruptAccount::EntryBeyondRule { rule: entry.rule, amount: entry.amount });
            }
            if entry.state == EntryState::Taken {
                let sum = by_keys.entry(entry.account.clone()).or_default();
                *sum = sum.saturating_add(entry.amount);
            }
            ledger.entries.insert(key, entry);
        }
        // An entry whose account was not read with it (a slice) is checked where its account is.
        for (account, by_keys) in by_keys {
            if let Some(held) = ledger.accounts.get(&account).map(|a| a.held) {
                if by_keys > held {
                    return Err(CorruptAccount::KeysBeyondHeld { held, by_keys });
                }
            }
        }
        Ok(ledger)
    }

    /// An account as a store keeps it: everything it has, and how much of that keys hold.
    pub fn account(&self, account: &A) -> Option<(u64, u64)> {
        self.accounts.get(account).map(|a| (a.supply, a.held))
    }

    /// The record `key` left, if any.
    pub fn entry(&self, key: &EffectKey) -> Option<&Entry<A>> {
        self.entries.get(key)
    }

    /// Opens `account` with `balance`; for an account already open, sets its balance, leaving
    /// what keys hold of it as it is.
    pub fn open(&mut self, account: A, balance: u64) -> Result<(), Overflow> {
        let entry = self.accounts.entry(account).or_default();
        entry.supply = entry.held.checked_add(balance).ok_or(Overflow { supply: entry.held, amount: balance })?;
        Ok(())
    }

    /// Adds to an account from outside any checkout (a delivery of stock, points earned).
    pub fn deposit(&mut self, account: &A, amount: u64) -> Result<(), Overflow> {
        let entry = self.accounts.entry(account.clone()).or_default();
        entry.supply = entry.supply.checked_add(amount).ok_or(Overflow { supply: entry.supply, amount })?;
        Ok(())
    }

    /// Every account, in order, with its balance.
    pub fn accounts(&self) -> impl Iterator<Item = (&A, u64)> {
        self.accounts.iter().map(|(account, held)| (account, held.balance()))
    }

    pub fn balance(&self, account: &A) -> Option<u64> {
        self.accounts.get(account).map(|a| a.balance())
    }

    /// Takes from `account` under `key`, by the rules in the module docs.
    pub fn take(&mut self, key: &EffectKey, account: &A, rule: TakeRule) -> Result<u64, TakeRefused> {
        if let Some(entry) = self.entries.get(key) {
            return match entry.state {
                EntryState::Withdrawn => Err(TakeRefused::Withdrawn),
                _ if entry.account != *account || entry.rule != Some(rule) => Err(TakeRefused::KeyReused),
                EntryState::Taken => Ok(entry.amount),
                EntryState::Returned => Err(TakeRefused::Returned),
            };
        }
        let held = self.accounts.get_mut(account).ok_or(TakeRefused::UnknownAccount)?;
        let balance = held.balance();
        let amount = match rule {
            TakeRule::Exactly(n) if n <= balance => n,
            TakeRule::Exactly(_) => return Err(TakeRefused::Shortfall { available: balance }),
            TakeRule::UpTo(cap) => cap.min(balance),
        };
        // amount <= supply - held, so the sum stays within the supply.
        held.held += amount;
        let entry = Entry { account: account.clone(), rule: Some(rule), amount, state: EntryState::Taken };
        self.entries.insert(key.clone(), entry);
        Ok(amount)
    }

    /// Gives back what `key` took under `rule` from `account`, once; returns how much that was
    /// (zero if nothing). A give-back under a key that never took leaves a tombstone that refuses
    /// a late take. Refused, and nothing changes, if the key's take (or tombstone) names another
    /// account or rule, or if the account a take was made from does not exist (any more).
    pub fn give_back(&mut self, key: &EffectKey, account: &A, rule: TakeRule) -> Result<u64, GiveBackRefused> {
        match self.entries.get_mut(key) {
            Some(entry) if entry.account != *account => Err(GiveBackRefused::NotItsTake),
            Some(entry) if entry.state == EntryState::Withdrawn => Ok(0),
            Some(entry) if entry.rule != Some(rule) => Err(GiveBackRefused::NotItsTake),
            Some(entry) if entry.state == EntryState::Returned => Ok(0),
            Some(entry) => {
                let from = self.accounts.get_mut(account).ok_or(GiveBackRefused::UnknownAccount)?;
                // What a key holds is part of its account's `held` (`restore` refuses a ledger
                // where it is not), so this cannot underflow; checked all the same.
                from.held = from.held.checked_sub(entry.amount).ok_or(GiveBackRefused::UnknownAccount)?;
                entry.state = EntryState::Returned;
                Ok(entry.amount)
            }
            // Nothing was taken under the key, so nothing is owed back, whether or not the account
            // exists (a customer with no points account redeemed nothing): the tombstone says so.
            None => {
                let tombstone = Entry { account: account.clone(), rule: None, amount: 0, state: EntryState::Withdrawn };
                self.entries.insert(key.clone(), tombstone);
                Ok(0)
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
