//! `GET /metrics`: what the drive loop and the SQLite writer count and time (see
//! `checkout_drive::telemetry`'s table, and `checkout_sqlite_commit_batch_size`), in Prometheus'
//! text format, from the recorder `checkout serve` installs for the `metrics` facade. Labels name
//! commands, outcomes and answers, never an order, a checkout or a token.

use std::time::Duration;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use checkout_ports::Shop;
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};

use super::Api;

/// Bucket bounds of the durations, in seconds: a store call on SQLite takes well under a
/// millisecond, one on DynamoDB tens of them, a courier wait up to its 15-minute deadline.
const SECONDS: [f64; 14] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 60.0, 900.0];

/// Bucket bounds of the group commit's batch sizes (the writer takes up to 512 at once).
const BATCH: [f64; 10] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

/// Installs the process's recorder, and keeps its histograms drained while the process runs.
/// A process has one recorder: a second install is refused.
pub fn install() -> Result<PrometheusHandle, BuildError> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &SECONDS)?
        .set_buckets_for_metric(Matcher::Full("checkout_sqlite_commit_batch_size".into()), &BATCH)?
        .install_recorder()?;
    let upkeep = handle.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            upkeep.run_upkeep();
        }
    });
    Ok(handle)
}

#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((status = 200, description = "Prometheus' text format", content_type = "text/plain", body = String))
)]
pub(super) async fn metrics<S: Shop>(State(api): State<Api<S>>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], api.metrics.render())
}
