//! An operator's resolution: how a checkout raised for an operator is closed, by recording what
//! was done by hand. Nothing here gives anything back through the stores: the stores refused
//! (or the courier notice is unconfirmed), so what the checkout still holds stays held, and the
//! resolution says where it went outside the shop (a refund at the card terminal, copies put
//! back on the shelf, or a courier who confirmed the collection by phone). The audit then
//! accounts for what the stores hold under the checkout's keys as settled by that resolution.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::states::phase::Phase;
use crate::states::transitions::{Refused, TransitionError};
use crate::states::types::{NeedsOperator, NoticeUnconfirmed};

/// The most characters an operator's note may have: a sentence or two, not a document.
pub const MAX_NOTE_CHARS: usize = 500;

/// What an operator writes when resolving: who did what, by which means (a terminal receipt
/// number, a phone call). Kept in the record and shown in every view, so it is plain text.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[^\\x00-\\x1f\\x7f]{1,500}$"))]
pub struct OperatorNote(String);

/// Why an operator's note was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("the note is empty: say what was done by hand (e.g. \"refunded at the card terminal, receipt 4411\")")]
    Empty,
    #[error("the note has {chars} characters; at most {MAX_NOTE_CHARS} are kept")]
    TooLong { chars: usize },
    #[error("the note holds a control character; write it on one line of plain text")]
    ControlCharacter,
}

impl OperatorNote {
    pub fn new(note: impl Into<String>) -> Result<OperatorNote, NoteError> {
        let note = note.into();
        let trimmed = note.trim();
        if trimmed.is_empty() {
            return Err(NoteError::Empty);
        }
        let chars = trimmed.chars().count();
        if chars > MAX_NOTE_CHARS {
            return Err(NoteError::TooLong { chars });
        }
        if trimmed.chars().any(char::is_control) {
            return Err(NoteError::ControlCharacter);
        }
        Ok(OperatorNote(trimmed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for OperatorNote {
    type Error = NoteError;
    fn try_from(note: String) -> Result<OperatorNote, NoteError> {
        OperatorNote::new(note)
    }
}

impl From<OperatorNote> for String {
    fn from(note: OperatorNote) -> String {
        note.0
    }
}

impl fmt::Display for OperatorNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the operator did by hand.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(example = json!({"kind": "given-back-by-hand", "note": "refunded at the card terminal, receipt 4411"}))
)]
pub enum Resolution {
    /// Everything the checkout still holds was given back outside the shop: a refund at the
    /// card terminal, copies put back on the shelf, points credited by the loyalty desk. For an
    /// unconfirmed notice this also means the courier was called off.
    GivenBackByHand { note: OperatorNote },
    /// The courier confirmed the collection: the order went out, and keeps what it holds. Only
    /// for an unconfirmed notice; a failed checkout was never handed to a courier.
    CourierConfirmed { note: OperatorNote },
}

impl Resolution {
    pub fn note(&self) -> &OperatorNote {
        match self {
            Resolution::GivenBackByHand { note } | Resolution::CourierConfirmed { note } => note,
        }
    }

    /// The resolution's kind, spelled as on the wire (`given-back-by-hand`).
    pub fn kind(&self) -> &'static str {
        match self {
            Resolution::GivenBackByHand { .. } => "given-back-by-hand",
            Resolution::CourierConfirmed { .. } => "courier-confirmed",
        }
    }

    /// Whether the order went out after all (and so keeps its copies and payment).
    pub fn went_out(&self) -> bool {
        matches!(self, Resolution::CourierConfirmed { .. })
    }
}

/// The state a resolved checkout was raised in, kept whole: what it names as held is what the
/// resolution settled.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Raised {
    /// Some compensation was refused for good.
    Compensation(NeedsOperator),
    /// The courier notice was refused for good, and may have reached the courier.
    Notice(NoticeUnconfirmed),
}

/// End state: an operator closed a checkout raised for them, recording what was done by hand.
/// Nothing moves in the stores: what they hold under its keys is what the resolution settled.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Resolved {
    pub(crate) raised: Raised,
    pub(crate) resolution: Resolution,
}

impl Resolved {
    pub fn raised(&self) -> &Raised {
        &self.raised
    }

    pub fn resolution(&self) -> &Resolution {
        &self.resolution
    }
}

impl NeedsOperator {
    /// Closes the checkout with what was given back by hand. A courier's confirmation does not
    /// fit: the checkout failed before any courier was told.
    pub fn resolve(self, resolution: Resolution) -> Result<Resolved, Refused<Self>> {
        if resolution.went_out() {
            let error = TransitionError::ResolutionDoesNotFit { state: Phase::NeedsOperator, kind: resolution.kind() };
            return Err(Refused::new(self, error));
        }
        Ok(Resolved { raised: Raised::Compensation(self), resolution })
    }
}

impl NoticeUnconfirmed {
    /// Closes the checkout: the courier confirmed the collection, or was called off and
    /// everything given back by hand.
    pub fn resolve(self, resolution: Resolution) -> Resolved {
        Resolved { raised: Raised::Notice(self), resolution }
    }
}
