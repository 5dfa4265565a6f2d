//! [`Inventory`]: copies on the shelf per book, each book's price, and the price each reservation
//! was quoted.

use std::collections::BTreeMap;

use crate::ledger::{GiveBackRefused, Ledger, Overflow, TakeRefused, TakeRule};
use crate::protocol::{StockReleased, StockReservation, Unavailable};
use crate::{BookId, Command, EffectKey, Event, Money};

use super::refused_give_back;

/// Copies in stock per book, each book's unit price, and the price each reservation was given.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Inventory {
    pub stock: Ledger<BookId>,
    prices: BTreeMap<BookId, Money>,
    /// The unit price quoted to reservations taken before their book's price changed, so that
    /// a replay gets the same answer as the first take. (Until a price changes, the quote is
    /// the current price, and nothing needs keeping.)
    quotes: BTreeMap<EffectKey, Money>,
}

impl Inventory {
    /// An inventory as a store read it back (or the part of it one call needs).
    pub fn restore(
        stock: Ledger<BookId>,
        prices: impl IntoIterator<Item = (BookId, Money)>,
        quotes: impl IntoIterator<Item = (EffectKey, Money)>,
    ) -> Inventory {
        Inventory { stock, prices: prices.into_iter().collect(), quotes: quotes.into_iter().collect() }
    }

    /// Each book's unit price.
    pub fn prices(&self) -> impl Iterator<Item = (&BookId, Money)> {
        self.prices.iter().map(|(book, price)| (book, *price))
    }

    /// The unit prices quoted to keys that took before their book's price changed.
    pub fn quotes(&self) -> impl Iterator<Item = (&EffectKey, Money)> {
        self.quotes.iter().map(|(key, price)| (key, *price))
    }

    /// Puts `copies` of `book` on the shelf at `unit_price` (for a book already stocked: sets how
    /// many are on the shelf, and its price from now on). For tests that build stores by hand; a
    /// shop adds stock by [`Stores::apply`](super::Stores::apply).
    pub fn add_book(&mut self, book: BookId, copies: u32, unit_price: Money) -> Result<(), Overflow> {
        self.stock.open(book.clone(), u64::from(copies))?;
        self.set_price(&book, unit_price);
        Ok(())
    }

    /// Adds `copies` of `book`, sold at `price` from now on if one is given.
    pub fn restock(&mut self, book: &BookId, copies: u64, price: Option<Money>) -> Result<(), Overflow> {
        self.stock.deposit(book, copies)?;
        if let Some(price) = price {
            self.set_price(book, price);
        }
        Ok(())
    }

    pub fn is_priced(&self, book: &BookId) -> bool {
        self.prices.contains_key(book)
    }

    /// Prices `book` from now on; reservations already taken keep the price they were quoted.
    fn set_price(&mut self, book: &BookId, unit_price: Money) {
        if let Some(old) = self.prices.insert(book.clone(), unit_price).filter(|old| *old != unit_price) {
            for (key, entry) in self.stock.entries() {
                if entry.account == *book && entry.rule.is_some() {
                    self.quotes.entry(key.clone()).or_insert(old);
                }
            }
        }
    }

    pub fn reserve(&mut self, key: &EffectKey, book: &BookId, quantity: u32) -> Result<StockReservation, Unavailable> {
        let unit_price = *self.prices.get(book).ok_or(Unavailable::UnknownBook)?;
        match self.stock.take(key, book, TakeRule::Exactly(u64::from(quantity))) {
            Ok(_) => Ok(StockReservation { unit_price: self.quotes.get(key).copied().unwrap_or(unit_price) }),
            Err(TakeRefused::Shortfall { available }) => Err(Unavailable::OutOfStock {
                requested: quantity,
                available: u32::try_from(available).unwrap_or(u32::MAX),
            }),
            Err(TakeRefused::UnknownAccount) => Err(Unavailable::UnknownBook),
            Err(TakeRefused::Withdrawn | TakeRefused::Returned) => Err(Unavailable::Withdrawn),
            Err(TakeRefused::KeyReused) => Err(Unavailable::KeyReused),
        }
    }

    /// Gives back the `quantity` copies of `book` the reservation under `key` took.
    pub fn release(&mut self, key: &EffectKey, book: &BookId, quantity: u32) -> Result<StockReleased, GiveBackRefused> {
        let released = self.stock.give_back(key, book, TakeRule::Exactly(u64::from(quantity)))?;
        Ok(StockReleased { quantity: u32::try_from(released).unwrap_or(u32::MAX) })
    }
}

impl Inventory {
    /// Answers a stock command (reserve, release); `None` for any other.
    pub fn perform(&mut self, command: &Command) -> Option<Event> {
        Some(match command {
            Command::ReserveStock { key, book, quantity } => match self.reserve(key, book, quantity.get()) {
                Ok(reservation) => Event::StockReserved(reservation),
                Err(unavailable) => Event::StockUnavailable(unavailable),
            },
            Command::ReleaseStock { key, book, quantity } => match self.release(key, book, quantity.get()) {
                Ok(released) => Event::StockReleased(released),
                Err(refused) => refused_give_back(refused),
            },
            _ => return None,
        })
    }
}
