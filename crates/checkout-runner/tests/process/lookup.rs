//! Finding a checkout by its order or by its own id, over HTTP and on the command line, on both
//! backends: two namespaces (an order whose id is a checkout's id never shadows that checkout),
//! 400 for an id nothing could have, 404 for one nothing has, and a clear line from the CLI.

use std::path::PathBuf;

use serde_json::Value;

use crate::common::serve::{init, order, serve, wait_until_ended};
use crate::common::Shop;

fn scratch(name: &str) -> PathBuf {
    crate::common::scratch("lookup", name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_and_checkouts_are_two_namespaces_in_sqlite() {
    orders_and_checkouts_are_two_namespaces(&Shop::sqlite(&scratch("shop.db")), "1000").await;
}

#[cfg(feature = "aws")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_and_checkouts_are_two_namespaces_on_aws() {
    orders_and_checkouts_are_two_namespaces(&Shop::aws(), "100").await;
}

async fn orders_and_checkouts_are_two_namespaces(shop: &Shop, clock_speed: &str) {
    init(shop);
    let (_server, url) = serve(shop, &["--clock-speed", clock_speed]);
    let client = reqwest::Client::new();
    let placed: Value = client
        .post(format!("{url}/orders"))
        .json(&order("o-first", "b-dune", "u-ada", 1))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let first = placed["checkout"].as_str().unwrap().to_string();
    // An order whose id is the first checkout's id: a client may choose any id.
    let lookalike: Value = client
        .post(format!("{url}/orders"))
        .json(&order(&first, "b-dune", "u-ada", 1))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let second = lookalike["checkout"].as_str().unwrap().to_string();
    assert_ne!(first, second);
    wait_until_ended(&client, &url, "o-first").await;
    wait_until_ended(&client, &url, &first).await;

    let get = |route: String| {
        let client = client.clone();
        async move {
            let response = client.get(route).send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        }
    };
    let (status, by_order) = get(format!("{url}/orders/o-first")).await;
    assert_eq!((status, by_order["checkout"].as_str()), (200, Some(first.as_str())), "{by_order}");
    let (status, by_checkout) = get(format!("{url}/checkouts/{first}")).await;
    assert_eq!((status, by_checkout["order"]["orderId"].as_str()), (200, Some("o-first")), "{by_checkout}");
    assert_eq!(by_order, by_checkout, "one checkout, however it is named");
    let (status, shadow) = get(format!("{url}/orders/{first}")).await;
    assert_eq!(
        (status, shadow["checkout"].as_str()),
        (200, Some(second.as_str())),
        "the order named {first}: {shadow}"
    );
    let (status, history) = get(format!("{url}/checkouts/{second}/history")).await;
    assert_eq!(status, 200);
    assert!(history.as_array().unwrap().iter().any(|step| step["step"] == "reserve-stock"), "{history}");
    let (_, by_order_history) = get(format!("{url}/orders/{first}/history")).await;
    assert_eq!(history, by_order_history);

    for (route, expected) in [
        ("/checkouts/o-first".to_string(), 404),
        ("/orders/o-unknown".to_string(), 404),
        ("/orders/o-unknown/history".to_string(), 404),
        ("/checkouts/ck-unknown/history".to_string(), 404),
        ("/orders/o%20first".to_string(), 400),
        (format!("/checkouts/{}", "x".repeat(300)), 400),
    ] {
        let (status, body) = get(format!("{url}{route}")).await;
        assert_eq!(status, expected, "{route}: {body}");
        assert!(body["error"].is_string(), "{route}: {body}");
    }

    // The command line names them the same way.
    let run = |args: &[&str]| {
        let output = shop.command(args[0]).args(&args[1..]).output().unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).to_string(),
            String::from_utf8_lossy(&output.stderr).to_string(),
        )
    };
    let (ok, by_order, _) = run(&["status", "--order", "o-first"]);
    assert!(ok && by_order.contains(&first) && by_order.contains("o-first"), "{by_order}");
    let (ok, by_checkout, _) = run(&["status", "--checkout", &first]);
    assert!(ok, "{by_checkout}");
    assert_eq!(by_order, by_checkout);
    let (ok, shadow, _) = run(&["status", "--order", &first]);
    assert!(ok && shadow.contains(&second), "{shadow}");
    let (ok, mermaid, _) = run(&["history", "--order", "o-first", "--mermaid"]);
    assert!(ok && mermaid.starts_with("sequenceDiagram"), "{mermaid}");
    let (ok, _, error) = run(&["status", "--order", "o-unknown"]);
    assert!(!ok && error.trim() == "error: no order o-unknown in this shop", "{error}");
    let (ok, _, error) = run(&["status", "--checkout", "o first"]);
    assert!(!ok && error.lines().count() == 1, "one line: {error}");
    let (ok, _, error) = run(&["status"]);
    assert!(!ok && error.contains("--order") && error.contains("--checkout"), "names what is needed: {error}");
    let (ok, _, error) = run(&["status", "--order", "o-first", "--checkout", &first]);
    assert!(!ok && error.contains("cannot be used with"), "{error}");
}
