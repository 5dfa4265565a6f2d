//! What a failing checkout owes, as a type-level stack (newest hold first). `Owes<C, Rest>` owes
//! the compensation of hold `C`, then everything in `Rest`; `Settled` owes nothing.

use std::marker::PhantomData;

use serde::{Deserialize, Serialize};

use crate::money::{Money, Points};
use crate::protocol::{Command, Effect};
use crate::states::ticket::Ticket;
use crate::states::values::Pricing;

pub(crate) mod sealed {
    pub trait Sealed {}
}

/// One kind of compensation, as it is written when a checkout is persisted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Compensation {
    Refund,
    RestorePoints,
    ReleaseStock,
}

/// A hold one forward effect may have left: the stock reserved, the points redeemed, the payment.
pub trait Hold: sealed::Sealed {
    const COMPENSATION: Compensation;
    /// The forward effect whose key the compensation gives back.
    const EFFECT: Effect;
    /// The keyed command that gives back whatever this checkout's effect took, and nothing more:
    /// it names the take (its account, and what it asked for), so a store refuses it for a key
    /// whose take was another's. `pricing` is the price the checkout failed with.
    fn compensation_command(ticket: &Ticket, pricing: Option<&Pricing>) -> Command;
}

/// A stack of holds still to give back.
pub trait Owed: sealed::Sealed {
    /// The stack, newest first, as written in a persisted checkout.
    fn compensations() -> Vec<Compensation>;
}

/// Stock may be reserved for the order (under its reserve-stock key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StockHeld;
/// Loyalty points may be redeemed for the order (under its redeem-points key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PointsHeld;
/// The customer may have been charged for the order (under its charge key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PaymentHeld;
/// Nothing is owed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Settled;
/// `C` is owed, then everything in `Rest`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Owes<C, Rest>(PhantomData<(C, Rest)>);

impl sealed::Sealed for StockHeld {}
impl sealed::Sealed for PointsHeld {}
impl sealed::Sealed for PaymentHeld {}
impl sealed::Sealed for Settled {}
impl<C: Hold, R: Owed> sealed::Sealed for Owes<C, R> {}

impl Hold for StockHeld {
    const COMPENSATION: Compensation = Compensation::ReleaseStock;
    const EFFECT: Effect = Effect::ReserveStock;
    fn compensation_command(ticket: &Ticket, _: Option<&Pricing>) -> Command {
        let order = ticket.order();
        Command::ReleaseStock { key: ticket.key(Self::EFFECT), book: order.book().clone(), quantity: order.quantity() }
    }
}
impl Hold for PointsHeld {
    const COMPENSATION: Compensation = Compensation::RestorePoints;
    const EFFECT: Effect = Effect::RedeemPoints;
    fn compensation_command(ticket: &Ticket, pricing: Option<&Pricing>) -> Command {
        // The redemption asked for up to the total, in points (see `RedeemingPoints::command`).
        let up_to = pricing.map_or(Points::ZERO, |p| p.total.as_points_cap());
        Command::RestorePoints { key: ticket.key(Self::EFFECT), user: ticket.order().user().clone(), up_to }
    }
}
impl Hold for PaymentHeld {
    const COMPENSATION: Compensation = Compensation::Refund;
    const EFFECT: Effect = Effect::Charge;
    fn compensation_command(ticket: &Ticket, pricing: Option<&Pricing>) -> Command {
        let amount = pricing.map_or(Money::ZERO, |p| p.amount_due);
        Command::Refund { key: ticket.key(Self::EFFECT), user: ticket.order().user().clone(), amount }
    }
}

impl Owed for Settled {
    fn compensations() -> Vec<Compensation> {
        Vec::new()
    }
}
impl<C: Hold, R: Owed> Owed for Owes<C, R> {
    fn compensations() -> Vec<Compensation> {
        let mut list = vec![C::COMPENSATION];
        list.extend(R::compensations());
        list
    }
}

pub type OwesStock = Owes<StockHeld, Settled>;
pub type OwesPointsAndStock = Owes<PointsHeld, OwesStock>;
pub type OwesPaymentAndStock = Owes<PaymentHeld, OwesStock>;
pub type OwesPaymentPointsAndStock = Owes<PaymentHeld, OwesPointsAndStock>;
