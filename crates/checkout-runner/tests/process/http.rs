//! `checkout serve` over real HTTP on loopback, with `checkout courier` as its own process: orders
//! placed, repeated, conflicting and malformed; the same order posted many times at once; a
//! forged courier reply; every checkout followed to its end and the shop audited. Each test runs
//! on both backends: a SQLite file, and DynamoDB, SQS and SNS in moto server. What hostile
//! clients do (hang-ups, slow and idle sockets, malformed and forged requests) is `hostile.rs`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};

use crate::common::serve::{init, order, serve, wait_until_ended, Running};
use crate::common::Shop;

fn scratch(name: &str) -> PathBuf {
    crate::common::scratch("http", name)
}

/// Every key named `token` and every string shaped like a wait token (32 hex digits) in `value`.
fn tokens_in(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) if s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit()) => vec![s.clone()],
        Value::Array(items) => items.iter().flat_map(tokens_in).collect(),
        Value::Object(fields) => fields
            .iter()
            .flat_map(|(key, v)| {
                let mut found = tokens_in(v);
                if key.to_lowercase().contains("token") {
                    found.push(format!("{key}: {v}"));
                }
                found
            })
            .collect(),
        _ => Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shop_over_http_with_a_separate_courier_process_in_sqlite() {
    the_shop_over_http_with_a_separate_courier_process(&Shop::sqlite(&scratch("shop.db")), "1000").await;
}

/// On moto each step takes longer, so the saga's clock runs slower, as in the crash test.
#[cfg(feature = "aws")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shop_over_http_with_a_separate_courier_process_on_aws() {
    the_shop_over_http_with_a_separate_courier_process(&Shop::aws(), "100").await;
}

async fn the_shop_over_http_with_a_separate_courier_process(shop: &Shop, clock_speed: &str) {
    init(shop);
    let (_server, url) = serve(shop, &["--no-courier", "--clock-speed", clock_speed]);
    let _courier = Running(
        // Slow enough that a caller can hang up while a checkout waits for its courier.
        shop.command("courier").args(["--url", &url, "--delay-ms", "200"]).stdout(Stdio::null()).spawn().unwrap(),
    );
    let client = reqwest::Client::new();
    let health = client.get(format!("{url}/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);

    let placed = client.post(format!("{url}/orders")).json(&order("h-1", "b-dune", "u-ada", 2)).send().await.unwrap();
    assert_eq!(placed.status(), 202);
    let checkout = placed.json::<Value>().await.unwrap()["checkout"].as_str().unwrap().to_string();
    let again = client.post(format!("{url}/orders")).json(&order("h-1", "b-dune", "u-ada", 2)).send().await.unwrap();
    assert_eq!(again.status(), 200, "the same order again is the same checkout");
    assert_eq!(again.json::<Value>().await.unwrap()["checkout"], checkout);
    let conflict = client.post(format!("{url}/orders")).json(&order("h-1", "b-dune", "u-ada", 3)).send().await.unwrap();
    assert_eq!(conflict.status(), 409);
    let message = conflict.json::<Value>().await.unwrap()["error"].as_str().unwrap().to_string();
    assert!(message.contains("quantity 2, not 3"), "{message}");
    let malformed = client
        .post(format!("{url}/orders"))
        .header("content-type", "application/json; charset=utf-8")
        .body(r#"{"orderId":"h-2","bookId":"b-dune","quantity":1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    assert!(malformed.json::<Value>().await.unwrap()["error"].as_str().unwrap().contains("userId"));
    // A body any web page may POST cross-origin without asking is not an order.
    let whole = order("h-3", "b-dune", "u-ada", 1).to_string();
    for content_type in
        [None, Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("multipart/form-data")]
    {
        let mut post = client.post(format!("{url}/orders")).body(whole.clone());
        if let Some(content_type) = content_type {
            post = post.header("content-type", content_type);
        }
        let refused = post.send().await.unwrap();
        assert_eq!(refused.status(), 415, "{content_type:?}");
    }
    assert_eq!(client.get(format!("{url}/orders/h-3")).send().await.unwrap().status(), 404, "not admitted");

    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (client, url) = (client.clone(), url.clone());
            tokio::spawn(async move {
                let response = client
                    .post(format!("{url}/orders"))
                    .json(&order("h-twice", "b-piranesi", "u-grace", 1))
                    .send()
                    .await
                    .unwrap();
                response.json::<Value>().await.unwrap()["checkout"].as_str().unwrap().to_string()
            })
        })
        .collect();
    let mut checkouts = Vec::new();
    for task in tasks {
        checkouts.push(task.await.unwrap());
    }
    checkouts.dedup();
    assert_eq!(checkouts.len(), 1, "one order posted 16 times at once is one checkout");

    let forged = client
        .post(format!("{url}/courier/replies"))
        .json(&json!({ "waitToken": format!("{checkout}:prepare-order"), "courier": "c-forged" }))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.json::<Value>().await.unwrap()["delivered"], false);

    // While h-1 waits for its (slow) courier, nothing served tells its wait token.
    let mut seen_waiting = false;
    for _ in 0..400 {
        let body: Value = client.get(format!("{url}/orders/h-1")).send().await.unwrap().json().await.unwrap();
        let history: Value =
            client.get(format!("{url}/orders/h-1/history")).send().await.unwrap().json().await.unwrap();
        for (route, served) in [("/orders/h-1", &body), ("/orders/h-1/history", &history)] {
            // The message names where, not what: a test log is a log too.
            assert!(tokens_in(served).is_empty(), "{route} serves {} wait token(s)", tokens_in(served).len());
        }
        if body["state"] == "preparing-order" {
            seen_waiting = true;
            assert!(body["courierDeadlineMs"].is_u64(), "{body}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert!(seen_waiting, "h-1 was seen waiting for its courier");
    let ended = wait_until_ended(&client, &url, "h-1").await;
    assert_eq!(ended["state"], "dispatched", "{ended}");
    assert_ne!(ended["courier"], "c-forged");
    assert_eq!(ended["holds"], json!({ "copies": 2, "points": 0, "charged": 2598 }));
    assert_eq!(wait_until_ended(&client, &url, "h-twice").await["state"], "dispatched");
    let history: Value = client.get(format!("{url}/orders/h-1/history")).send().await.unwrap().json().await.unwrap();
    let steps: Vec<&str> = history.as_array().unwrap().iter().map(|e| e["step"].as_str().unwrap()).collect();
    assert!(steps.starts_with(&["reserve-stock"]) && steps.ends_with(&["notify-courier"]), "{steps:?}");
    // A caller that waits for the outcome and hangs up mid-checkout does not stop the checkout.
    let body = order("h-gone", "b-dune", "u-ada", 1).to_string();
    let address = url.trim_start_matches("http://");
    let mut caller = std::net::TcpStream::connect(address).unwrap();
    write!(
        caller,
        "POST /orders?wait=true HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let admitted = loop {
        let status = client.get(format!("{url}/orders/h-gone")).send().await.unwrap();
        if status.status() == 200 {
            break status.json::<Value>().await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    drop(caller);
    assert_ne!(admitted["state"], "dispatched", "the caller hung up before the checkout ended");
    assert_eq!(wait_until_ended(&client, &url, "h-gone").await["state"], "dispatched");
    let waited = client
        .post(format!("{url}/orders?wait=true"))
        .json(&order("h-wait", "b-dune", "u-ada", 1))
        .send()
        .await
        .unwrap();
    assert_eq!(waited.status(), 200);
    assert_eq!(waited.json::<Value>().await.unwrap()["outcome"], "dispatched");
    let missing = client.get(format!("{url}/orders/nope")).send().await.unwrap();
    assert_eq!(missing.status(), 404);

    // The last copy is sold; `init` on the live shop is refused and does not put it back.
    let buy = |id: &'static str| {
        client.post(format!("{url}/orders?wait=true")).json(&order(id, "b-last-copy", "u-grace", 1)).send()
    };
    assert_eq!(buy("h-last").await.unwrap().json::<Value>().await.unwrap()["outcome"], "dispatched");
    let catalog = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/catalog.json");
    let again = shop.command("init").args(["--catalog", catalog.to_str().unwrap()]).output().unwrap();
    assert!(!again.status.success(), "init on a live shop must fail");
    let said = String::from_utf8_lossy(&again.stderr);
    assert!(said.contains("the shop already exists") && said.lines().count() == 1, "{said}");
    assert_eq!(buy("h-last-again").await.unwrap().json::<Value>().await.unwrap()["outcome"], "rejected");

    let audit = shop.command("audit").arg("--all-ended").output().unwrap();
    assert!(audit.status.success(), "{}", String::from_utf8_lossy(&audit.stdout));
}
