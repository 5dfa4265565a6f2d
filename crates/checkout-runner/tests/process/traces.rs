//! Traces over OTLP: `checkout serve` with `OTEL_EXPORTER_OTLP_ENDPOINT` set sends its drive
//! loop's spans to the collector it names. The collector here is the test's own: a small OTLP/HTTP
//! receiver taking `http/json`. An order placed and dispatched arrives as one `checkout` span
//! with a `step` span inside it for each store call, in one trace, naming the checkout and the
//! command, and no field holds the courier wait's token.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing::post;
use serde_json::Value;

use crate::common::serve::{init, order, serve_in};
use crate::common::{scratch, Shop};

/// Every span the receiver took: (trace id, span id, parent span id, name, attributes).
type Spans = Arc<Mutex<Vec<(String, String, String, String, Vec<(String, String)>)>>>;

/// An OTLP/HTTP receiver on a free port: its base URL, and the spans it takes.
async fn receiver() -> (String, Spans) {
    let spans: Spans = Arc::default();
    let taken = Arc::clone(&spans);
    let app = axum::Router::new().route(
        "/v1/traces",
        post(move |body: String| {
            let taken = Arc::clone(&taken);
            async move {
                let export: Value = serde_json::from_str(&body).expect("an OTLP JSON export");
                for resource in export["resourceSpans"].as_array().into_iter().flatten() {
                    for scope in resource["scopeSpans"].as_array().into_iter().flatten() {
                        for span in scope["spans"].as_array().into_iter().flatten() {
                            let attributes = span["attributes"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .map(|a| {
                                    let value = &a["value"];
                                    let text = value["stringValue"]
                                        .as_str()
                                        .map(str::to_string)
                                        .unwrap_or_else(|| value.to_string());
                                    (a["key"].as_str().unwrap_or_default().to_string(), text)
                                })
                                .collect();
                            let text = |k: &str| span[k].as_str().unwrap_or_default().to_string();
                            taken.lock().unwrap().push((
                                text("traceId"),
                                text("spanId"),
                                text("parentSpanId"),
                                text("name"),
                                attributes,
                            ));
                        }
                    }
                }
                "{}"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, spans)
}

fn attribute<'a>(attributes: &'a [(String, String)], key: &str) -> Option<&'a str> {
    attributes.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatched_order_is_one_trace_of_its_steps() {
    let (collector, spans) = receiver().await;
    let shop = Shop::sqlite(&scratch("traces", "shop.db"));
    init(&shop);
    let otlp = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", collector.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
    ];
    let (server, url, _) = serve_in(&shop, &[], &otlp);
    let placed: Value = reqwest::Client::new()
        .post(format!("{url}/orders?wait=true"))
        .json(&order("t-1", "b-dune", "u-ada", 1))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(placed["outcome"], "dispatched");
    let checkout = placed["checkout"].as_str().unwrap().to_string();

    // Batched every 100 ms; a minute for a busy machine.
    let mut found = Vec::new();
    for _ in 0..600 {
        found = spans.lock().unwrap().clone();
        let ended = found.iter().any(|(_, _, _, name, a)| {
            name == "checkout"
                && attribute(a, "checkout") == Some(&checkout)
                && attribute(a, "to") == Some("dispatched")
        });
        if ended {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(server);
    let (trace, root, _, _, attributes) = found
        .iter()
        .find(|(_, _, _, name, a)| name == "checkout" && attribute(a, "to") == Some("dispatched"))
        .unwrap_or_else(|| panic!("no checkout span ended dispatched among {found:?}"))
        .clone();
    assert_eq!(attribute(&attributes, "checkout"), Some(checkout.as_str()));
    assert_eq!(attribute(&attributes, "order"), Some("t-1"));
    let steps: Vec<&str> = found
        .iter()
        .filter(|(t, _, parent, name, _)| *t == trace && *parent == root && name == "step")
        .filter_map(|(_, _, _, _, a)| attribute(a, "command"))
        .collect();
    for command in ["reserve-stock", "charge", "notify-courier"] {
        assert!(steps.contains(&command), "no {command} step in the checkout's trace: {steps:?}");
    }
    let keys: Vec<&str> = found.iter().flat_map(|(_, _, _, _, a)| a.iter().map(|(k, _)| k.as_str())).collect();
    assert!(!keys.iter().any(|k| k.contains("token")), "a span field names a token: {keys:?}");
}
