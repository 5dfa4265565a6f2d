//! `GET /checkouts`: the operator's listing, with the operator's bearer token (a listing names
//! every customer's orders). Query: `state` (comma-separated states; none: every state),
//! `raised=true` (every state raised for an operator), `stuckFor` (`90s`, `15m`, `2h`, `1d`),
//! `limit` (1 to 500, 50 by default) and `after` (the `next` of the page before). Answers
//! `{"items": [{"checkout", "order", "state", "sinceMs"}], "next": "<cursor>" | null}`, those
//! that moved longest ago first.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use checkout_domain::Phase;
use checkout_ports::listing::{list, Cursor, ListError};
use checkout_ports::{Clock, Shop};
use serde::Deserialize;

use super::extract::Params;
use super::{operator, wire, Api, ApiError};
use crate::listing::{duration_ms, ListRequest};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct ListParams {
    /// Comma-separated states (`needs-operator,compensating`); none: every state.
    state: Option<String>,
    /// Also every state raised for an operator.
    #[serde(default)]
    raised: bool,
    /// Only checkouts that have not moved for this long: `90s`, `15m`, `2h`, `1d`.
    stuck_for: Option<String>,
    /// 1 to 500; 50 by default.
    limit: Option<usize>,
    /// The `next` of the page before.
    after: Option<String>,
}

impl ListParams {
    fn request(self) -> Result<ListRequest, ApiError> {
        let states = match self.state.as_deref() {
            None | Some("") => Vec::new(),
            Some(names) => names
                .split(',')
                .map(|name| name.trim().parse::<Phase>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ApiError::Invalid(e.to_string()))?,
        };
        let stuck_for_ms = self.stuck_for.as_deref().map(duration_ms).transpose().map_err(ApiError::Invalid)?;
        let after = self
            .after
            .as_deref()
            .map(str::parse::<Cursor>)
            .transpose()
            .map_err(|e| ApiError::Invalid(e.to_string()))?;
        Ok(ListRequest { states, raised: self.raised, stuck_for_ms, limit: self.limit, after })
    }
}

#[utoipa::path(
    get,
    path = "/checkouts",
    tag = "operator",
    params(ListParams),
    responses(
        (status = 200, description = "a page, those that moved longest ago first", body = wire::Page),
        (status = 400, description = "an unknown state or parameter, a bad cursor, duration or limit", body = wire::ErrorBody),
        (status = 401, description = "no operator token, or another", body = wire::ErrorBody),
        (status = 403, description = "this server takes no operator actions", body = wire::ErrorBody),
        (status = 503, description = "the shop's storage did not answer", body = wire::ErrorBody),
    ),
    security(("operator" = []))
)]
pub(super) async fn list_checkouts<S: Shop>(
    State(api): State<Api<S>>,
    headers: HeaderMap,
    params: Result<Params<ListParams>, ApiError>,
) -> Result<Json<wire::Page>, ApiError> {
    // The token first: a caller without it learns nothing, not even what a query may hold.
    operator::admit(api.operator.as_ref(), &headers)?;
    let Params(params) = params?;
    let listing = params.request()?.listing(api.runner.clock().now_ms());
    let page = list(api.runner.shop().as_ref(), &listing).await.map_err(|e| match e {
        ListError::Storage(storage) => ApiError::Storage(storage),
        other => ApiError::Invalid(other.to_string()),
    })?;
    let items = page
        .items
        .into_iter()
        .map(|l| wire::Listed { checkout: l.checkout, order: l.order, state: l.phase, since_ms: l.since_ms })
        .collect();
    Ok(Json(wire::Page { items, next: page.next.map(|cursor| cursor.to_string()) }))
}
