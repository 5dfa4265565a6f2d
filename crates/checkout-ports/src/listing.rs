//! Listing checkouts for an operator: by phase, those that moved longest ago first, a page at a
//! time. Each adapter answers one phase's page from an index ([`crate::CheckoutRepository::list`]:
//! SQLite's `(phase, since_ms, id)` index, a DynamoDB index keyed by phase and time, the memory
//! shop's map); [`list`] walks several phases with one cursor, so the CLI and the HTTP API page
//! through "everything raised for an operator" the same way, on every backend.

use std::fmt;
use std::str::FromStr;

use checkout_domain::{CheckoutId, OrderId, Phase};

use crate::{CheckoutRepository, StorageError};

/// The most checkouts one page lists.
pub const MAX_PAGE: usize = 500;

/// One checkout in a listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    pub checkout: CheckoutId,
    pub order: OrderId,
    pub phase: Phase,
    /// When it last moved: the time of the last step saved with it (0: admitted, and never
    /// moved since).
    pub since_ms: u64,
}

/// Where a phase's listing goes on from: after this checkout, in `(since_ms, checkout)` order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub since_ms: u64,
    pub checkout: CheckoutId,
}

impl Listed {
    pub fn position(&self) -> Position {
        Position { since_ms: self.since_ms, checkout: self.checkout.clone() }
    }
}

/// One phase's page, as an adapter answers it: checkouts in `phase`, after `after`, that last
/// moved before `moved_before_ms` (if given), in `(since_ms, checkout)` order, at most `limit`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhaseQuery {
    pub phase: Phase,
    pub after: Option<Position>,
    pub moved_before_ms: Option<u64>,
    pub limit: usize,
}

/// Where a listing over several phases goes on from: a phase, and a position in it (none: from
/// the phase's start).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub phase: Phase,
    pub after: Option<Position>,
}

/// A cursor a client sent that no listing gave out.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a listing cursor: pass back the `next` a listing gave, unchanged")]
pub struct BadCursor;

/// Written as `<phase>.<since_ms>.<checkout>`, or `<phase>` from its start: plain enough to log,
/// and a checkout id may hold dots, so it comes last.
impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.after {
            None => write!(f, "{}", self.phase),
            Some(after) => write!(f, "{}.{}.{}", self.phase, after.since_ms, after.checkout),
        }
    }
}

impl FromStr for Cursor {
    type Err = BadCursor;
    fn from_str(text: &str) -> Result<Cursor, BadCursor> {
        let mut parts = text.splitn(3, '.');
        let phase = parts.next().ok_or(BadCursor)?;
        let phase: Phase = phase.parse().map_err(|_| BadCursor)?;
        let after = match (parts.next(), parts.next()) {
            (None, None) => None,
            (Some(since), Some(checkout)) => Some(Position {
                since_ms: since.parse().map_err(|_| BadCursor)?,
                checkout: CheckoutId::new(checkout).map_err(|_| BadCursor)?,
            }),
            _ => return Err(BadCursor),
        };
        Ok(Cursor { phase, after })
    }
}

/// What to list: some phases (in the order given), optionally only what has not moved since
/// `moved_before_ms`, a page of `limit` from `after`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listing {
    pub phases: Vec<Phase>,
    pub moved_before_ms: Option<u64>,
    pub after: Option<Cursor>,
    pub limit: usize,
}

/// Why a listing was refused.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("a page lists 1 to {MAX_PAGE} checkouts, not {0}")]
    Limit(usize),
    #[error("the cursor is for phase {0}, which this listing does not cover: pass the same phases again")]
    CursorPhase(Phase),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// One page of a listing, and the cursor of the next (none: this was the last).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    pub items: Vec<Listed>,
    pub next: Option<Cursor>,
}

/// One page of `listing`, phase after phase: the first phase's checkouts, then the next's, each
/// oldest-moved first. The next page starts where this one stopped.
pub async fn list<R: CheckoutRepository + ?Sized>(repository: &R, listing: &Listing) -> Result<Page, ListError> {
    if !(1..=MAX_PAGE).contains(&listing.limit) {
        return Err(ListError::Limit(listing.limit));
    }
    let phases = if listing.phases.is_empty() { Phase::ALL.to_vec() } else { listing.phases.clone() };
    let (start, mut after) = match &listing.after {
        None => (0, None),
        Some(cursor) => {
            let start = phases.iter().position(|p| *p == cursor.phase).ok_or(ListError::CursorPhase(cursor.phase))?;
            (start, cursor.after.clone())
        }
    };
    let mut items = Vec::new();
    for (i, phase) in phases.iter().enumerate().skip(start) {
        let wanted = listing.limit - items.len();
        // One more than wanted says whether this phase goes on past the page.
        let query = PhaseQuery {
            phase: *phase,
            after: after.take(),
            moved_before_ms: listing.moved_before_ms,
            limit: wanted + 1,
        };
        let mut found = repository.list(&query).await?;
        if found.len() > wanted {
            found.truncate(wanted);
            let last = found.last().expect("at least one").position();
            items.extend(found);
            return Ok(Page { items, next: Some(Cursor { phase: *phase, after: Some(last) }) });
        }
        items.extend(found);
        if items.len() == listing.limit {
            // Full, and this phase is done: the next page starts at the next phase, if any.
            let next = phases.get(i + 1).map(|phase| Cursor { phase: *phase, after: None });
            return Ok(Page { items, next });
        }
    }
    Ok(Page { items, next: None })
}
