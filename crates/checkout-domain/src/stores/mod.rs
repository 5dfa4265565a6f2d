//! The store rules: how the shop's three stores (copies on the shelf, loyalty points, the
//! customers' wallets) answer the saga's keyed commands and an operator's additions, behind one
//! fence book. Pure: every adapter (in memory, SQLite, DynamoDB) reads the slice a call touches,
//! runs this code on it, and writes back what changed; the model checker runs the same code.
//!
//! ```
//! use checkout_domain::fencing::Fence;
//! use checkout_domain::{BookId, CheckoutId, CheckoutState, Command, CourierId, Event, Money, Next, Order, Outcome, TaskToken, UserId};
//! use checkout_domain::stores::Stores;
//!
//! let order = Order::from_json(r#"{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":1}"#)?;
//! let mut stores = Stores::default();
//! stores.inventory.add_book(BookId::new("b-1")?, 1, Money::from_minor_units(1250))?;
//! stores.wallets.open(UserId::new("u-1")?, 5000)?;
//!
//! let mut checkout = CheckoutState::start(CheckoutId::new("ck-1")?, order);
//! let outcome = loop {
//!     checkout = match checkout.next() {
//!         Next::Finished(outcome) => break outcome,
//!         Next::Compute => checkout.compute()?,
//!         // A runtime issues a random token; this one stands for it.
//!         Next::OpenCourierWait => checkout.apply(Event::CourierWaitOpened { token: TaskToken::new("7f3a9c")? })?,
//!         Next::Run(Command::RequestCourier { token, .. }) => {
//!             checkout.apply(Event::CourierAssigned { token, courier: CourierId::new("c-1")? })?
//!         }
//!         Next::Run(Command::NotifyCourier { .. }) => checkout.apply(Event::CourierNotified)?,
//!         Next::Run(command) => checkout.apply(stores.perform(Fence::FIRST, &command, 0)?.expect("a store command"))?,
//!     };
//! };
//! assert_eq!(outcome, Outcome::Dispatched);
//! assert_eq!(stores.wallets.balance(&UserId::new("u-1")?), Some(5000 - 1250));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod inventory;

pub use inventory::Inventory;

use crate::fencing::{Fence, FenceBook, Superseded};
use crate::ledger::{GiveBackRefused, Ledger, Overflow, TakeRefused, TakeRule};
use crate::operation::{Operation, Refused};
use crate::protocol::{ChargeReceipt, PointsRedemption, PointsRestored, RefundReceipt};
use crate::{BookId, Command, Event, Money, Points, UserId};

/// The three stores a checkout touches, answering commands the way the saga expects, behind
/// one fence book (see [`crate::fencing`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Stores {
    pub inventory: Inventory,
    pub points: Ledger<UserId>,
    /// Each customer's spendable funds; a charge takes from them, a refund gives back.
    pub wallets: Ledger<UserId>,
    /// Per checkout, the highest fence a command for it has carried.
    pub fences: FenceBook,
}

/// The payment service declined the charge; nothing was charged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("payment declined: {0}")]
pub struct Declined(pub TakeRefused);

/// Which of the stores answers a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Store {
    Inventory,
    Points,
    Wallets,
}

impl Store {
    /// The store that answers `command`, or `None` for the courier request and notification,
    /// which no store handles.
    pub fn for_command(command: &Command) -> Option<Store> {
        match command {
            Command::ReserveStock { .. } | Command::ReleaseStock { .. } => Some(Store::Inventory),
            Command::RedeemPoints { .. } | Command::RestorePoints { .. } => Some(Store::Points),
            Command::Charge { .. } | Command::Refund { .. } => Some(Store::Wallets),
            Command::RequestCourier { .. } | Command::NotifyCourier { .. } => None,
        }
    }
}

/// A give-back the store refused for good: the checkout raises it for an operator.
fn refused_give_back(refused: GiveBackRefused) -> Event {
    Event::CompensationRefused { detail: format!("nothing given back: {refused}") }
}

/// Answers a points command (redeem, restore) from the customers' points; `None` for any other.
pub fn perform_points(points: &mut Ledger<UserId>, command: &Command) -> Option<Event> {
    Some(match command {
        Command::RedeemPoints { key, user, up_to } => match points.take(key, user, TakeRule::UpTo(up_to.get())) {
            Ok(taken) => Event::PointsRedeemed(PointsRedemption { points: Points::new(taken) }),
            // A customer with no points account has no points to redeem, and a key already
            // given back takes nothing: both redeem zero, which is what was taken.
            Err(TakeRefused::UnknownAccount | TakeRefused::Withdrawn | TakeRefused::Returned) => {
                Event::PointsRedeemed(PointsRedemption { points: Points::ZERO })
            }
            Err(refused @ (TakeRefused::KeyReused | TakeRefused::Shortfall { .. })) => {
                Event::StepFailed { detail: format!("points not redeemed: {refused}") }
            }
        },
        Command::RestorePoints { key, user, up_to } => match points.give_back(key, user, TakeRule::UpTo(up_to.get())) {
            Ok(restored) => Event::PointsRestored(PointsRestored { points: Points::new(restored) }),
            Err(refused) => refused_give_back(refused),
        },
        _ => return None,
    })
}

/// Answers a payment command (charge, refund) from the customers' wallets; `None` for any other.
/// `now_ms` is the time the reply is received, which starts the courier deadline after a charge.
pub fn perform_payment(wallets: &mut Ledger<UserId>, command: &Command, now_ms: u64) -> Option<Event> {
    Some(match command {
        Command::Charge { key, user, amount } => match wallets.take(key, user, TakeRule::Exactly(amount.minor_units()))
        {
            Ok(charged) => {
                Event::Charged { receipt: ChargeReceipt { amount: Money::from_minor_units(charged) }, now_ms }
            }
            Err(refused) => Event::StepFailed { detail: Declined(refused).to_string() },
        },
        Command::Refund { key, user, amount } => {
            match wallets.give_back(key, user, TakeRule::Exactly(amount.minor_units())) {
                Ok(refunded) => Event::Refunded(RefundReceipt { amount: Money::from_minor_units(refunded) }),
                Err(refused) => refused_give_back(refused),
            }
        }
        _ => return None,
    })
}

impl Stores {
    /// What an operator adds: see [`apply_operation`].
    pub fn apply(&mut self, operation: &Operation) -> Result<(), Refused> {
        apply_operation(operation, &mut self.inventory, &mut self.wallets, &mut self.points)
    }

    /// Performs a store command sent by the incarnation holding `fence`, and returns the event it
    /// reports to the checkout, or `None` for a command that no store handles (the courier
    /// request and notification: the caller sends those once this has admitted them). Every
    /// keyed command passes the fence first, so a superseded incarnation is refused, the
    /// notification included, and nothing changes.
    pub fn perform(&mut self, fence: Fence, command: &Command, now_ms: u64) -> Result<Option<Event>, Superseded> {
        if let Some(key) = command.key() {
            self.fences.admit(key.checkout(), fence)?;
        }
        let Some(store) = Store::for_command(command) else { return Ok(None) };
        Ok(match store {
            Store::Inventory => self.inventory.perform(command),
            Store::Points => perform_points(&mut self.points, command),
            Store::Wallets => perform_payment(&mut self.wallets, command, now_ms),
        })
    }
}

/// What an operator adds (`checkout restock`, `checkout credit`): checked by
/// [`Operation::check`] against these stores, then added to them; refused, unchanged, if the
/// check fails. The one copy of the rule: every adapter runs it on the slices it read, and the
/// saga model runs it between checkouts' steps.
pub fn apply_operation(
    operation: &Operation,
    inventory: &mut Inventory,
    wallets: &mut Ledger<UserId>,
    points: &mut Ledger<UserId>,
) -> Result<(), Refused> {
    let supply = |ledger: &str, account: &str| {
        let (book, user) = (BookId::new(account).ok(), UserId::new(account).ok());
        let found = match ledger {
            "stock" => book.and_then(|book| inventory.stock.account(&book)),
            "funds" => user.and_then(|user| wallets.account(&user)),
            _ => user.and_then(|user| points.account(&user)),
        };
        found.map(|(supply, _held)| supply)
    };
    operation.check(supply, |book| inventory.is_priced(book))?;
    fn too_much<'a>(what: &'static str, account: &'a str) -> impl FnOnce(Overflow) -> Refused + 'a {
        move |_| Refused::TooMuch { what, account: account.to_string() }
    }
    match operation {
        Operation::Restock { book, copies, price } => {
            inventory.restock(book, *copies, *price).map_err(too_much("copies", book.as_str()))
        }
        Operation::Credit { user, funds, points: added } => {
            wallets.deposit(user, *funds).map_err(too_much("funds", user.as_str()))?;
            points.deposit(user, *added).map_err(too_much("points", user.as_str()))
        }
    }
}
