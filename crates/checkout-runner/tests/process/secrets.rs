//! The courier wait's token is a secret: whoever holds it answers the wait. While checkouts wait,
//! under injected faults and forged answers, no response of any route and no line the server or
//! the courier worker writes carries a live token. The tokens are read from the shop's own
//! SQLite file, where they must be, and looked for everywhere else.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::serve::{init, order, Running};
use crate::common::Shop;

fn scratch(name: &str) -> PathBuf {
    crate::common::scratch("secrets", name)
}

/// Every string under a key named `token` in `value`.
fn tokens(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| tokens(v, found)),
        Value::Object(fields) => {
            for (key, v) in fields {
                match v {
                    Value::String(s) if key.to_lowercase().contains("token") => found.push(s.clone()),
                    _ => tokens(v, found),
                }
            }
        }
        _ => {}
    }
}

/// The live wait tokens in the shop's records.
fn live_tokens(db: &std::path::Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut statement = conn.prepare("SELECT record FROM checkouts").unwrap();
    let records: Vec<String> = statement.query_map([], |row| row.get(0)).unwrap().map(Result::unwrap).collect();
    let mut found = Vec::new();
    for record in records {
        tokens(&serde_json::from_str(&record).unwrap(), &mut found);
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_response_or_log_line_carries_a_wait_token() {
    let db = scratch("shop.db");
    let shop = Shop::sqlite(&db);
    init(&shop);
    let (server_log, courier_log, courier_out) = (scratch("serve.log"), scratch("courier.log"), scratch("courier.out"));
    // Faults in the stores make the server retry and journal; the clock runs slow enough that
    // the waits outlast the reading of their tokens.
    let faults = ["--transient", "0.2", "--lost-replies", "0.1", "--clock-speed", "100", "--no-courier"];
    let mut server = shop
        .command("serve")
        .args(["--listen", "127.0.0.1:0"])
        .args(faults)
        .env("CHECKOUT_LOG", "debug")
        .stderr(Stdio::from(std::fs::File::create(&server_log).unwrap()))
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(server.stdout.take().unwrap()), &mut line).unwrap();
    let server = Running(server);
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap().to_string();
    let client = reqwest::Client::new();
    let ids: Vec<String> = (0..6).map(|n| format!("t-{n}")).collect();
    for id in &ids {
        let placed = client.post(format!("{url}/orders")).json(&order(id, "b-dune", "u-ada", 1)).send().await;
        assert_eq!(placed.unwrap().status(), 202);
    }
    // Each checkout waits for its courier, or has ended already (the faults can fail a step).
    for id in &ids {
        let started = Instant::now();
        loop {
            let status: Value = client.get(format!("{url}/orders/{id}")).send().await.unwrap().json().await.unwrap();
            let state = status["state"].as_str().unwrap().to_string();
            if ["preparing-order", "dispatched", "compensated", "rejected", "needs-operator"].contains(&state.as_str())
            {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "{id} is still {state}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let live = live_tokens(&db);
    // Never the tokens themselves in a message: a test's output is a log too.
    assert!(live.len() >= 2, "only {} checkouts wait for their courier", live.len());

    // Answers that are refused, each naming a live token somewhere: a malformed courier, an
    // answer with both a courier and a reason, an unknown field, a token of the wrong shape.
    let mut answers = vec![json!({ "waitToken": "0123456789abcdef0123456789abcdef", "courier": "c-guess" })];
    for token in &live[..2] {
        answers.push(json!({ "waitToken": token, "courier": "" }));
        answers.push(json!({ "waitToken": token, "courier": "c-1", "unavailable": "both" }));
        answers.push(json!({ "waitToken": format!("{token} "), "courier": "c-1" }));
    }
    let mut served = Vec::new();
    for answer in answers {
        let response = client.post(format!("{url}/courier/replies")).json(&answer).send().await.unwrap();
        served.push(format!("POST /courier/replies {}: {}", response.status(), response.text().await.unwrap()));
    }
    let courier = Running(
        shop.command("courier")
            .args(["--url", &url, "--delay-ms", "30", "--failure-rate", "0.2", "--loss-rate", "0.2"])
            .env("CHECKOUT_LOG", "debug")
            .stdout(Stdio::from(std::fs::File::create(&courier_out).unwrap()))
            .stderr(Stdio::from(std::fs::File::create(&courier_log).unwrap()))
            .spawn()
            .unwrap(),
    );
    for id in &ids {
        let started = Instant::now();
        loop {
            let status = client.get(format!("{url}/orders/{id}")).send().await.unwrap().text().await.unwrap();
            served.push(format!("GET /orders/{id}: {status}"));
            let state: Value = serde_json::from_str(&status).unwrap();
            if ["dispatched", "compensated", "rejected", "needs-operator"].contains(&state["state"].as_str().unwrap()) {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(120), "{id} did not end: {status}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let history = client.get(format!("{url}/orders/{id}/history")).send().await.unwrap().text().await.unwrap();
        served.push(format!("GET /orders/{id}/history: {history}"));
    }
    for route in ["/health", "/ready", "/orders/unknown"] {
        let body = client.get(format!("{url}{route}")).send().await.unwrap().text().await.unwrap();
        served.push(format!("GET {route}: {body}"));
    }
    drop((courier, server));

    let logs = [server_log, courier_log, courier_out]
        .iter()
        .map(|log| std::fs::read_to_string(log).unwrap())
        .collect::<String>();
    assert!(served.iter().any(|s| s.contains("courier-reply")), "the histories tell of courier replies");
    // At debug, the server logs every request and every saved step: the logs have much to say.
    for said in ["step saved", "courier-reply", "/courier/replies", "finished processing request"] {
        assert!(logs.contains(said), "the logs never mention {said:?}");
    }
    for token in &live {
        assert!(!token.is_empty());
        // The messages say where, never what: a test's output is a log too.
        let leaks: Vec<&str> =
            served.iter().filter(|s| s.contains(token.as_str())).map(|s| s.split(':').next().unwrap_or("")).collect();
        assert!(leaks.is_empty(), "responses carry a live token: {leaks:?}");
        assert!(!logs.contains(token.as_str()), "a log line carries a live token");
    }
    eprintln!("{} tokens looked for in {} responses and {} log lines", live.len(), served.len(), logs.lines().count());
}
