//! `GET /audit`: the saga's invariants checked on the shop's data now ([`crate::audit`]), with
//! the operator's token; what `checkout audit` prints, as JSON, for the console.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use checkout_ports::{Clock, Shop};

use super::{operator, wire, Api, ApiError};

#[utoipa::path(
    get,
    path = "/audit",
    tag = "operator",
    responses(
        (status = 200, description = "the verdict, checkouts per state, and one line per finding", body = wire::AuditReport),
        (status = 401, description = "no operator token, or another", body = wire::ErrorBody),
        (status = 403, description = "this server takes no operator actions", body = wire::ErrorBody),
        (status = 503, description = "the shop's storage did not answer", body = wire::ErrorBody),
    ),
    security(("operator" = []))
)]
pub(super) async fn audit<S: Shop>(
    State(api): State<Api<S>>,
    headers: HeaderMap,
) -> Result<Json<wire::AuditReport>, ApiError> {
    operator::admit(api.operator.as_ref(), &headers)?;
    let report = crate::audit::audit(api.runner.shop().as_ref(), api.runner.clock().now_ms(), false).await?;
    let by_hand =
        |held: checkout_ports::Held| wire::Holds { copies: held.stock, points: held.points, charged: held.money };
    Ok(Json(wire::AuditReport {
        passed: report.passed(),
        phases: report.phases.iter().map(|(phase, n)| (phase.to_string(), *n)).collect(),
        findings: report.findings,
        resolved: report.by_hand.checkouts,
        given_back_by_hand: by_hand(report.by_hand.given_back),
        went_out_on_confirmation: by_hand(report.by_hand.went_out),
    }))
}
