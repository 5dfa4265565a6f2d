//! Everything that crosses the boundary between the saga and its adapters: the commands a
//! checkout asks for ([`Command`]), the keys that make them idempotent ([`EffectKey`],
//! [`TaskToken`]), the receipts stores answer with ([`reply`]) and the events an orchestrator
//! feeds back ([`Event`]). Their JSON is the adapters' contract.

pub mod call;
pub mod command;
pub mod event;
pub mod keys;
pub mod reply;

pub use call::CallError;
pub use command::Command;
pub use event::Event;
pub use keys::{Effect, EffectKey, TaskToken, TokenError, MAX_TOKEN_LEN};
pub use reply::{
    ChargeReceipt, PointsRedemption, PointsRestored, RefundReceipt, StockReleased, StockReservation, Unavailable,
};
