//! The HTTP API's bodies, typed: what each route answers, serialized from these and described
//! by them in `/openapi.json` ([`super::openapi`]), so the document cannot drift from the
//! answers. Requests are the domain's own types (an order, a resolution) or
//! [`super::CourierReplyBody`].

use checkout_domain::states::Resolution;
use checkout_domain::{CheckoutId, CheckoutView, OrderId, Phase};
use serde::Serialize;
use utoipa::ToSchema;

/// An order admitted: its checkout, new (202) or the one it already had (200); for a caller
/// that waited (`?wait=true`), how it ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct Admitted {
    pub checkout: CheckoutId,
    pub order: OrderId,
    /// `dispatched`, `rejected`, `compensated`, `needs-operator` or `resolved`; only once ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "dispatched")]
    pub outcome: Option<String>,
}

/// What a checkout's keys hold now in the stores.
#[derive(Debug, Serialize, ToSchema)]
pub struct Holds {
    pub copies: u64,
    pub points: u64,
    /// Minor units charged and not refunded.
    pub charged: u64,
}

/// A checkout as anyone who knows its id may see it (never the courier wait's token), and what
/// its keys hold.
#[derive(Debug, Serialize, ToSchema)]
pub struct Status {
    #[serde(flatten)]
    pub view: CheckoutView,
    pub holds: Holds,
}

/// One step of a checkout's journal.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub at_ms: u64,
    /// The command or step (`reserve-stock`, `compute`, `cancel`, ...).
    pub step: String,
    pub result: String,
    /// The phase after the step.
    pub state: String,
    pub attempt: u32,
}

/// A cancel honoured.
#[derive(Debug, Serialize, ToSchema)]
pub struct Cancelled {
    pub checkout: CheckoutId,
    pub order: OrderId,
    pub cancelled: bool,
    /// The phase it was cancelled in.
    pub at: Phase,
    /// How it ended, for a caller that waited (`?wait=true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
}

/// A resolution taken.
#[derive(Debug, Serialize, ToSchema)]
pub struct Resolved {
    pub checkout: CheckoutId,
    pub order: OrderId,
    pub resolved: bool,
    /// The phase it was raised in.
    pub raised: Phase,
    pub resolution: Resolution,
}

/// One checkout in a listing.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Listed {
    pub checkout: CheckoutId,
    pub order: OrderId,
    pub state: Phase,
    /// When it last moved (0: never since it was admitted).
    pub since_ms: u64,
}

/// A page of a listing, and the cursor of the next (`after`), if there is one.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page {
    pub items: Vec<Listed>,
    pub next: Option<String>,
}

/// Whether a courier answer reached a waiting checkout now (else it is kept for one that resumes;
/// a token no wait issued is never taken).
#[derive(Debug, Serialize, ToSchema)]
pub struct Delivered {
    pub delivered: bool,
}

/// `/health`: the shop's storage answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: String,
    /// Checkouts not yet ended.
    pub unfinished: usize,
}

/// `/ready`: the shop takes this server's writes.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ready {
    #[schema(example = "ready")]
    pub status: String,
}

/// The audit's verdict.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditReport {
    pub passed: bool,
    /// Checkouts per state.
    pub phases: std::collections::BTreeMap<String, usize>,
    /// One line per problem, naming the order and checkout.
    pub findings: Vec<String>,
    /// Checkouts an operator resolved, and what their keys still hold, settled outside the shop.
    pub resolved: usize,
    pub given_back_by_hand: Holds,
    pub went_out_on_confirmation: Holds,
}

/// Every error: one line saying why, never a token.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: String,
}
