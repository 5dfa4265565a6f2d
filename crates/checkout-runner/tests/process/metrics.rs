//! `GET /metrics` of a running `checkout serve`, scraped: what the checkouts it ran did, counted
//! in Prometheus' text format, and never an order's id or a token in it.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::common::serve::{init, order, serve, wait_for_state};
use crate::common::Shop;

/// The samples of a scrape, by their name and labels as written (`name{label="v"}`).
fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (name, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("not a sample: {line}"));
            (name.to_string(), value.parse().unwrap_or_else(|_| panic!("not a number: {line}")))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_what_the_checkouts_did() {
    let shop = Shop::sqlite(&crate::common::scratch("metrics", "shop.db"));
    init(&shop);
    let (_server, url) = serve(&shop, &["--clock-speed", "1000"]);
    let client = reqwest::Client::new();
    for n in 0..5 {
        let placed = client
            .post(format!("{url}/orders?wait=true"))
            .json(&order(&format!("m-{n}"), "b-dune", "u-ada", 1))
            .send()
            .await
            .unwrap();
        assert_eq!(placed.json::<Value>().await.unwrap()["outcome"], "dispatched");
    }
    // Edsger cannot pay for a first edition: charged, declined, compensated.
    let declined = client
        .post(format!("{url}/orders?wait=true"))
        .json(&order("m-declined", "b-sicp", "u-edsger", 1))
        .send()
        .await
        .unwrap();
    assert_eq!(declined.json::<Value>().await.unwrap()["outcome"], "compensated");
    let refused = client.post(format!("{url}/orders/m-0/cancel")).json(&json!({})).send().await.unwrap();
    assert_eq!(refused.status(), 409);

    let scrape = client.get(format!("{url}/metrics")).send().await.unwrap();
    assert_eq!(scrape.status(), 200);
    assert!(scrape.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = scrape.text().await.unwrap();
    let samples = samples(&text);
    let sample = |name: &str| samples.get(name).copied().unwrap_or_else(|| panic!("no {name} in:\n{text}"));
    assert_eq!(sample(r#"checkouts_ended_total{outcome="dispatched"}"#), 5.0);
    assert_eq!(sample(r#"checkouts_ended_total{outcome="compensated"}"#), 1.0);
    assert_eq!(sample(r#"checkout_calls_total{command="charge",result="ok"}"#), 5.0);
    assert_eq!(sample(r#"checkout_calls_total{command="charge",result="failed"}"#), 1.0);
    assert_eq!(sample(r#"checkout_compensations_total{command="release-stock"}"#), 1.0);
    assert_eq!(sample(r#"checkout_call_duration_seconds_count{command="reserve-stock"}"#), 6.0);
    assert_eq!(sample(r#"checkout_courier_wait_seconds_count{answer="assigned"}"#), 5.0);
    assert_eq!(sample(r#"checkout_cancels_total{answer="refused"}"#), 1.0);
    assert_eq!(sample("checkouts_in_flight"), 0.0, "every drive has ended");
    assert!(sample("checkout_sqlite_commit_batch_size_count") > 0.0);
    assert!(!text.contains("m-0") && !text.contains("u-ada") && !text.contains("ck-"), "{text}");
}

/// A compensation refused for good is a failed call and a raised checkout, never counted as a
/// compensation done: the first version of the counter, reading the phases before and after,
/// counted it as one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_compensation_is_not_counted_as_done() {
    let shop = Shop::sqlite(&crate::common::scratch("metrics-refused", "shop.db"));
    init(&shop);
    let (_server, url) = serve(&shop, &["--no-courier", "--refused-refunds", "1"]);
    let client = reqwest::Client::new();
    let placed = client.post(format!("{url}/orders")).json(&order("m-refused", "b-dune", "u-ada", 1)).send();
    assert_eq!(placed.await.unwrap().status(), 202);
    wait_for_state(&client, &url, "m-refused", "preparing-order").await;
    let cancelled = client.post(format!("{url}/orders/m-refused/cancel?wait=true")).json(&json!({})).send();
    assert_eq!(cancelled.await.unwrap().json::<Value>().await.unwrap()["outcome"], "needs-operator");
    let text = client.get(format!("{url}/metrics")).send().await.unwrap().text().await.unwrap();
    let samples = samples(&text);
    let sample = |name: &str| samples.get(name).copied();
    assert_eq!(sample(r#"checkout_compensations_total{command="refund"}"#), None, "{text}");
    assert_eq!(sample(r#"checkout_compensations_total{command="release-stock"}"#), Some(1.0), "{text}");
    assert_eq!(sample(r#"checkout_calls_total{command="refund",result="failed"}"#), Some(1.0), "{text}");
    assert_eq!(sample(r#"checkouts_ended_total{outcome="needs-operator"}"#), Some(1.0), "{text}");
    assert_eq!(sample(r#"checkout_cancels_total{answer="honoured"}"#), Some(1.0), "{text}");
}
