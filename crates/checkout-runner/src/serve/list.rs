//! `GET /checkouts`: the operator's listing, with the operator's bearer token (a listing names
//! every customer's orders). Query: `state` (comma-separated states; none: every state),
//! `raised=true` (every state raised for an operator), `stuckFor` (`90s`, `15m`, `2h`, `1d`),
//! `limit` (1 to 500, 50 by default) and `after` (the `next` of the page before). Answers
//! `{"items": [{"checkout", "order", "state", "sinceMs"}], "next": "<cursor>" | null}`, those
//! that moved longest ago first.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::Json;
use checkout_domain::Phase;
use checkout_ports::listing::{list, Cursor, ListError};
use checkout_ports::{Clock, Shop};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{operator, Api, ApiError};
use crate::listing::{duration_ms, ListRequest};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct ListParams {
    state: Option<String>,
    #[serde(default)]
    raised: bool,
    stuck_for: Option<String>,
    limit: Option<usize>,
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

pub(super) async fn list_checkouts<S: Shop>(
    State(api): State<Api<S>>,
    headers: HeaderMap,
    params: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    operator::admit(api.operator.as_ref(), &headers)?;
    let Query(params) = params.map_err(|e| ApiError::Invalid(checkout_domain::excerpt::excerpt(&e.body_text())))?;
    let listing = params.request()?.listing(api.runner.clock().now_ms());
    let page = list(api.runner.shop().as_ref(), &listing).await.map_err(|e| match e {
        ListError::Storage(storage) => ApiError::Storage(storage),
        other => ApiError::Invalid(other.to_string()),
    })?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|l| json!({ "checkout": l.checkout.as_str(), "order": l.order.as_str(), "state": l.phase, "sinceMs": l.since_ms }))
        .collect();
    Ok(Json(json!({ "items": items, "next": page.next.map(|cursor| cursor.to_string()) })))
}
