//! The answers each pair of routes gives, by order and by checkout id (`/orders/{order}/…` and
//! `/checkouts/{checkout}/…`), described once for `/openapi.json`: the pair shares one handler
//! body, and so one list of answers.

use utoipa::IntoResponses;

use super::wire;

/// `GET /orders/{order}`, `GET /checkouts/{checkout}`.
#[derive(IntoResponses)]
// Only described, never built: the handlers answer their body or an `ApiError`.
#[allow(dead_code, clippy::large_enum_variant)]
pub(super) enum StatusAnswers {
    #[response(
        status = 200,
        description = "the checkout, as anyone who knows its id may see it, and what its keys hold"
    )]
    Found(wire::Status),
    #[response(status = 400, description = "an id no order or checkout can have")]
    Invalid(wire::ErrorBody),
    #[response(status = 404, description = "no such order or checkout")]
    NotFound(wire::ErrorBody),
    #[response(status = 503, description = "the shop's storage did not answer")]
    Unavailable(wire::ErrorBody),
}

/// `GET /orders/{order}/history`, `GET /checkouts/{checkout}/history`.
#[derive(IntoResponses)]
#[allow(dead_code, clippy::large_enum_variant)]
pub(super) enum HistoryAnswers {
    #[response(status = 200, description = "every step of the checkout, oldest first")]
    Found(Vec<wire::HistoryEntry>),
    #[response(status = 400, description = "an id no order or checkout can have")]
    Invalid(wire::ErrorBody),
    #[response(status = 404, description = "no such order or checkout")]
    NotFound(wire::ErrorBody),
    #[response(status = 503, description = "the shop's storage did not answer")]
    Unavailable(wire::ErrorBody),
}

/// `POST /orders/{order}/cancel`, `POST /checkouts/{checkout}/cancel`.
#[derive(IntoResponses)]
#[allow(dead_code, clippy::large_enum_variant)]
pub(super) enum CancelAnswers {
    #[response(
        status = 200,
        description = "honoured: the checkout compensates (with `?wait=true`, once it has ended)"
    )]
    Honoured(wire::Cancelled),
    #[response(status = 400, description = "a body other than `{}`, or an impossible id")]
    Invalid(wire::ErrorBody),
    #[response(status = 404, description = "no such order or checkout")]
    NotFound(wire::ErrorBody),
    #[response(status = 409, description = "refused: past the point of no return, or already failed or ended")]
    Refused(wire::ErrorBody),
    #[response(status = 415, description = "not `application/json`")]
    NotJson(wire::ErrorBody),
    #[response(status = 503, description = "the shop's storage did not answer")]
    Unavailable(wire::ErrorBody),
}

/// `POST /orders/{order}/resolve`, `POST /checkouts/{checkout}/resolve`.
#[derive(IntoResponses)]
#[allow(dead_code, clippy::large_enum_variant)]
pub(super) enum ResolveAnswers {
    #[response(status = 200, description = "taken: the checkout is resolved")]
    Resolved(wire::Resolved),
    #[response(status = 400, description = "not a resolution, or an impossible id")]
    Invalid(wire::ErrorBody),
    #[response(status = 401, description = "no operator token, or another")]
    NotAnOperator(wire::ErrorBody),
    #[response(status = 403, description = "this server takes no operator actions (no `--operator-token-file`)")]
    Off(wire::ErrorBody),
    #[response(status = 404, description = "no such order or checkout")]
    NotFound(wire::ErrorBody),
    #[response(
        status = 409,
        description = "refused: not raised for an operator, resolved already, or a kind that does not fit"
    )]
    Refused(wire::ErrorBody),
    #[response(status = 415, description = "not `application/json`")]
    NotJson(wire::ErrorBody),
    #[response(status = 503, description = "the shop's storage did not answer")]
    Unavailable(wire::ErrorBody),
}
