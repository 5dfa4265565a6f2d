//! What an adapter says when a call brought back no reply: whether the effect surely did not
//! happen, may have happened, or was refused for good. Adapters classify their failures into
//! these; the orchestration engine decides what follows from each.

/// Why a call did not bring back a reply.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The call surely did not take effect (refused before it was sent, connection refused).
    #[error("not done: {0}")]
    NotDone(String),
    /// The call may have taken effect (a timeout, a lost reply).
    #[error("outcome unknown: {0}")]
    Unknown(String),
    /// The call was refused for good (declined, a closed account): retrying cannot help.
    #[error("refused for good: {0}")]
    Refused(String),
}
