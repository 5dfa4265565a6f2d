//! `GET /openapi.json`: the HTTP API as an OpenAPI document, generated from the handlers'
//! `#[utoipa::path]` attributes and the wire types' schemas (the domain's own, derived with its
//! `openapi` feature), so what it describes is what the server answers. The contract test runs
//! schemathesis against it on both backends (`tests/process/contract.rs`).

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The document, built once per request (it is small, and asked for rarely).
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "checkout serve",
        description = "The book shop's checkout saga over HTTP: place orders, follow them, cancel them; courier \
                       workers answer; operators list and resolve checkouts (with the operator's bearer token)."
    ),
    paths(
        super::place,
        super::order_status,
        super::checkout_status,
        super::order_history,
        super::checkout_history,
        super::cancel::cancel_order,
        super::cancel::cancel_checkout,
        super::resolve::resolve_order,
        super::resolve::resolve_checkout,
        super::list::list_checkouts,
        super::audit::audit,
        super::courier_reply,
        super::health,
        super::ready,
        super::metrics::metrics,
    ),
    // Named by the order's schema only through its wire shape, so listed here.
    components(schemas(checkout_domain::BookId, checkout_domain::UserId)),
    modifiers(&OperatorToken)
)]
struct ApiDoc;

/// The operator's bearer token, as the operator routes name it (`security(("operator" = []))`).
struct OperatorToken;

impl Modify for OperatorToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some("the token in the file `checkout serve --operator-token-file` names"))
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("operator", SecurityScheme::Http(scheme));
    }
}
