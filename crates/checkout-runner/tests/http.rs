//! `checkout serve` over real HTTP on loopback, with `checkout courier` as its own process: orders
//! placed, repeated, conflicting and malformed; the same order posted many times at once; a
//! forged courier reply; every checkout followed to its end and the shop audited. Each test runs
//! on both backends: a SQLite file, and DynamoDB, SQS and SNS in moto server.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};

mod common;

use common::serve::{init, order, serve, wait_until_ended, Running};
use common::Shop;

fn scratch(name: &str) -> PathBuf {
    common::scratch("http", name)
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
        .json(&json!({ "token": format!("{checkout}:prepare-order"), "courier": "c-forged" }))
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_hang_up_strand_no_order_in_sqlite() {
    clients_that_hang_up_strand_no_order(&Shop::sqlite(&scratch("hang-ups.db")), "1000").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_hang_up_strand_no_order_on_aws() {
    clients_that_hang_up_strand_no_order(&Shop::aws(), "100").await;
}

/// Clients that send a whole order and hang up at once (closing, or only half-closing, their
/// side, with or without `?wait=true`), and clients that retry with `?wait=true`: every order
/// the shop admitted is driven to its end while the server runs, and a repeated `?wait=true`
/// answers with the outcome. Before, the admission committed inside the request and the drive
/// started only after it, so a hang-up in between left the order placed until a restart.
async fn clients_that_hang_up_strand_no_order(shop: &Shop, clock_speed: &str) {
    init(shop);
    let (_server, url) = serve(shop, &["--clock-speed", clock_speed]);
    let address = url.trim_start_matches("http://").to_string();
    let orders: Vec<String> = (0..60).map(|n| format!("hang-{n}")).collect();
    let hang_ups: Vec<_> = orders
        .iter()
        .enumerate()
        .map(|(n, id)| {
            let (address, id) = (address.clone(), id.clone());
            std::thread::spawn(move || {
                let body = order(&id, "b-dune", "u-ada", 1).to_string();
                let path = if n % 2 == 0 { "/orders" } else { "/orders?wait=true" };
                let mut caller = std::net::TcpStream::connect(&address).unwrap();
                write!(
                    caller,
                    "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )
                .unwrap();
                if n % 3 == 0 {
                    // Half-close: the request is whole, the client reads nothing more.
                    caller.shutdown(std::net::Shutdown::Write).unwrap();
                }
                drop(caller);
            })
        })
        .collect();
    for hang_up in hang_ups {
        hang_up.join().unwrap();
    }
    let client = reqwest::Client::new();
    let mut admitted = Vec::new();
    for id in &orders {
        // An order whose request the server never finished reading was never admitted.
        let found = client.get(format!("{url}/orders/{id}")).send().await.unwrap();
        if found.status() == 404 {
            continue;
        }
        admitted.push(id.clone());
        // Dune has 40 copies: past them, an order ends rejected, out of stock; either way it ends.
        let ended = wait_until_ended(&client, &url, id).await;
        assert!(["dispatched", "rejected"].contains(&ended["state"].as_str().unwrap()), "{id}: {ended}");
    }
    println!("{} of {} hung-up orders were admitted; every one ended", admitted.len(), orders.len());
    assert!(!admitted.is_empty(), "some orders were admitted before their clients hung up");
    // A retry with ?wait=true of a known order waits for, and names, its outcome.
    let retried = client
        .post(format!("{url}/orders?wait=true"))
        .json(&order(&admitted[0], "b-dune", "u-ada", 1))
        .send()
        .await
        .unwrap();
    assert_eq!(retried.status(), 200);
    let first: Value = client.get(format!("{url}/orders/{}", admitted[0])).send().await.unwrap().json().await.unwrap();
    assert_eq!(retried.json::<Value>().await.unwrap()["outcome"], first["outcome"], "{first}");
    let health: Value = client.get(format!("{url}/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["unfinished"], 0, "{health}");
    let audit = shop.command("audit").arg("--all-ended").output().unwrap();
    assert!(audit.status.success(), "{}", String::from_utf8_lossy(&audit.stdout));
}

/// A body too large is refused with 413, and one announced but sent too slowly (or never) is cut
/// off at the body timeout, freeing its connection; the server stays healthy and takes the next
/// order. The HTTP layer is the same over both backends, so this runs on SQLite only. (Before,
/// any body up to axum's 2 MB default was read, and a body that never came held its connection
/// for ever.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_and_stalled_bodies_are_cut_off_and_the_server_stays_healthy() {
    use std::io::Read;
    let shop = Shop::sqlite(&scratch("limits.db"));
    init(&shop);
    let (_server, url) = serve(&shop, &["--clock-speed", "1000"]);
    let client = reqwest::Client::new();
    let mut big = order("big", "b-dune", "u-ada", 1);
    big["padding"] = Value::from("x".repeat(64 * 1024));
    let refused = client.post(format!("{url}/orders")).json(&big).send().await.unwrap();
    assert_eq!(refused.status(), 413);

    let address = url.trim_start_matches("http://").to_string();
    let stalled = std::thread::spawn(move || {
        let mut caller = std::net::TcpStream::connect(&address).unwrap();
        caller.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let started = std::time::Instant::now();
        write!(
            caller,
            "POST /orders HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"orderId\""
        )
        .unwrap();
        let mut answer = String::new();
        let _ = caller.read_to_string(&mut answer);
        (started.elapsed(), answer)
    });
    let (took, answer) = tokio::task::spawn_blocking(move || stalled.join().unwrap()).await.unwrap();
    let status = answer.lines().next().unwrap_or_default().to_string();
    assert!(status.starts_with("HTTP/1.1 4"), "the stalled request is answered with an error: {answer:?}");
    assert!(took >= Duration::from_secs(9) && took < Duration::from_secs(20), "cut off at the timeout: {took:?}");

    let health = client.get(format!("{url}/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let placed = client.post(format!("{url}/orders?wait=true")).json(&order("after", "b-dune", "u-ada", 1)).send();
    assert_eq!(placed.await.unwrap().json::<Value>().await.unwrap()["outcome"], "dispatched");
    assert!(client.get(format!("{url}/orders/big")).send().await.unwrap().status() == 404, "nothing admitted");
    let audit = shop.command("audit").arg("--all-ended").output().unwrap();
    assert!(audit.status.success(), "{}", String::from_utf8_lossy(&audit.stdout));
    eprintln!("a stalled body was cut off after {took:?} with {status:?}");
}

/// Idle and silent sockets cannot lock clients out: 600 connections that send nothing, and one
/// that sends its headers a byte a second, are closed at the header timeout (10 s); connections
/// past the cap (512) wait their turn instead of taking file descriptors; a client arriving
/// behind them all is served, and the server stays healthy. (Before, such sockets were kept for
/// ever: about 1,100 of them used up a 1,024-file limit and no client got in.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_silent_connections_cannot_lock_clients_out() {
    use std::io::Read;
    let shop = Shop::sqlite(&scratch("idle.db"));
    init(&shop);
    let (_server, url) = serve(&shop, &["--clock-speed", "1000"]);
    let address = url.trim_start_matches("http://").to_string();
    let started = std::time::Instant::now();
    let dripping = {
        let address = address.clone();
        std::thread::spawn(move || {
            let mut caller = std::net::TcpStream::connect(&address).unwrap();
            for byte in format!("GET /health HTTP/1.1\r\nHost: {address}\r\nX-Slow: {}\r\n\r\n", "z".repeat(40)).bytes()
            {
                if caller.write_all(&[byte]).is_err() {
                    return started.elapsed();
                }
                std::thread::sleep(Duration::from_secs(1));
            }
            panic!("a client that sends a byte a second was never cut off");
        })
    };
    // The drip is taken first; the 600 behind it fill the cap and wait.
    std::thread::sleep(Duration::from_millis(300));
    let idle: Vec<std::net::TcpStream> = (0..600).map(|_| std::net::TcpStream::connect(&address).unwrap()).collect();
    let health = reqwest::Client::new().get(format!("{url}/health")).timeout(Duration::from_secs(40)).send().await;
    let served_after = started.elapsed();
    assert_eq!(health.unwrap().status(), 200, "a client behind 600 idle sockets is served");
    let ready = reqwest::Client::new().get(format!("{url}/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 200, "and the server can take orders");
    assert!(served_after < Duration::from_secs(25), "served once the idle ones timed out: {served_after:?}");
    let mut closed = 0;
    for mut socket in idle {
        socket.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut buf = [0u8; 64];
        if matches!(socket.read(&mut buf), Ok(0)) {
            closed += 1;
        }
    }
    assert_eq!(closed, 600, "every silent socket was closed by the server");
    let cut_off = tokio::task::spawn_blocking(move || dripping.join().unwrap()).await.unwrap();
    // Cut at 10 s; the client learns it at its next write or the one after.
    assert!(cut_off < Duration::from_secs(14), "the dripping client was cut off at the timeout: {cut_off:?}");
    eprintln!("behind 600 idle sockets a client was served after {served_after:?}; the drip was cut after {cut_off:?}");
}
