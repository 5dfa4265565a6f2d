//! The stores' events as the ports' typed answers. Every adapter that runs the stores' code (in
//! memory, SQLite) hands its event here, so the mapping is written once: a failed step or a
//! refused give-back is a refusal for good, and an event a port does not promise is refused too.

use checkout_domain::protocol::{
    CallError, ChargeReceipt, PointsRedemption, PointsRestored, RefundReceipt, StockReleased, StockReservation,
    Unavailable,
};
use checkout_domain::Event;
use checkout_ports::PortError;

/// The answer of a store to a command whose event is not the one its port promises.
fn unexpected(event: Event) -> PortError {
    PortError::Call(CallError::Refused(format!("the store answered {}", event.name())))
}

pub fn reservation(event: Event) -> Result<Result<StockReservation, Unavailable>, PortError> {
    match event {
        Event::StockReserved(reservation) => Ok(Ok(reservation)),
        Event::StockUnavailable(unavailable) => Ok(Err(unavailable)),
        other => Err(unexpected(other)),
    }
}

pub fn released(event: Event) -> Result<StockReleased, PortError> {
    match event {
        Event::StockReleased(released) => Ok(released),
        Event::CompensationRefused { detail } => Err(CallError::Refused(detail).into()),
        other => Err(unexpected(other)),
    }
}

pub fn redemption(event: Event) -> Result<PointsRedemption, PortError> {
    match event {
        Event::PointsRedeemed(redemption) => Ok(redemption),
        Event::StepFailed { detail } => Err(CallError::Refused(detail).into()),
        other => Err(unexpected(other)),
    }
}

pub fn restored(event: Event) -> Result<PointsRestored, PortError> {
    match event {
        Event::PointsRestored(restored) => Ok(restored),
        Event::CompensationRefused { detail } => Err(CallError::Refused(detail).into()),
        other => Err(unexpected(other)),
    }
}

pub fn charged(event: Event) -> Result<ChargeReceipt, PortError> {
    match event {
        Event::Charged { receipt, .. } => Ok(receipt),
        Event::StepFailed { detail } => Err(CallError::Refused(detail).into()),
        other => Err(unexpected(other)),
    }
}

pub fn refunded(event: Event) -> Result<RefundReceipt, PortError> {
    match event {
        Event::Refunded(refund) => Ok(refund),
        Event::CompensationRefused { detail } => Err(CallError::Refused(detail).into()),
        other => Err(unexpected(other)),
    }
}
