//! Typed store calls for the suite's written-out scenarios (and adapters' own tests): each builds
//! the store command, performs it through [`KeyedStores`], and reads the event back as the
//! receipt that command's contract promises. A refusal for good, as the store rules give it
//! (`StepFailed`, `CompensationRefused`), comes back as [`CallError::Refused`]; an event the
//! command does not promise fails the test.

use async_trait::async_trait;
use checkout_domain::fencing::Fence;
use checkout_domain::protocol::{
    CallError, ChargeReceipt, PointsRedemption, PointsRestored, RefundReceipt, StockReleased, StockReservation,
    Unavailable,
};
use checkout_domain::{BookId, Command, EffectKey, Event, Money, Points, Quantity, UserId};
use checkout_ports::{KeyedStores, PortError};

/// The event of `command` from `stores`, with a refusal for good as an error.
async fn call<S: KeyedStores + ?Sized>(stores: &S, fence: Fence, command: Command) -> Result<Event, PortError> {
    match stores.perform(fence, &command, 0).await? {
        Event::StepFailed { detail } | Event::CompensationRefused { detail } => Err(CallError::Refused(detail).into()),
        event => Ok(event),
    }
}

fn unpromised(command: &str, event: Event) -> ! {
    panic!("{command} was answered {}, which its contract does not promise", event.name())
}

#[async_trait]
pub trait StoreCalls: KeyedStores {
    async fn reserve(
        &self,
        fence: Fence,
        key: &EffectKey,
        book: &BookId,
        quantity: Quantity,
    ) -> Result<Result<StockReservation, Unavailable>, PortError> {
        match call(self, fence, Command::ReserveStock { key: key.clone(), book: book.clone(), quantity }).await? {
            Event::StockReserved(reservation) => Ok(Ok(reservation)),
            Event::StockUnavailable(unavailable) => Ok(Err(unavailable)),
            other => unpromised("reserve", other),
        }
    }

    async fn release(
        &self,
        fence: Fence,
        key: &EffectKey,
        book: &BookId,
        quantity: Quantity,
    ) -> Result<StockReleased, PortError> {
        match call(self, fence, Command::ReleaseStock { key: key.clone(), book: book.clone(), quantity }).await? {
            Event::StockReleased(released) => Ok(released),
            other => unpromised("release", other),
        }
    }

    async fn redeem(
        &self,
        fence: Fence,
        key: &EffectKey,
        user: &UserId,
        up_to: Points,
    ) -> Result<PointsRedemption, PortError> {
        match call(self, fence, Command::RedeemPoints { key: key.clone(), user: user.clone(), up_to }).await? {
            Event::PointsRedeemed(redemption) => Ok(redemption),
            other => unpromised("redeem", other),
        }
    }

    async fn restore(
        &self,
        fence: Fence,
        key: &EffectKey,
        user: &UserId,
        up_to: Points,
    ) -> Result<PointsRestored, PortError> {
        match call(self, fence, Command::RestorePoints { key: key.clone(), user: user.clone(), up_to }).await? {
            Event::PointsRestored(restored) => Ok(restored),
            other => unpromised("restore", other),
        }
    }

    async fn charge(
        &self,
        fence: Fence,
        key: &EffectKey,
        user: &UserId,
        amount: Money,
    ) -> Result<ChargeReceipt, PortError> {
        match call(self, fence, Command::Charge { key: key.clone(), user: user.clone(), amount }).await? {
            Event::Charged { receipt, .. } => Ok(receipt),
            other => unpromised("charge", other),
        }
    }

    async fn refund(
        &self,
        fence: Fence,
        key: &EffectKey,
        user: &UserId,
        amount: Money,
    ) -> Result<RefundReceipt, PortError> {
        match call(self, fence, Command::Refund { key: key.clone(), user: user.clone(), amount }).await? {
            Event::Refunded(refund) => Ok(refund),
            other => unpromised("refund", other),
        }
    }
}

impl<S: KeyedStores + ?Sized> StoreCalls for S {}
