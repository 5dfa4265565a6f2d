//! A customer's cancel over HTTP and on the command line, against a running `checkout serve`,
//! on both backends: honoured while the checkout waits for its courier (everything comes back,
//! also when the cancel comes from another process than the one driving it), refused after
//! dispatch and after a first cancel, and careless or hostile requests answered with the status
//! that says why. The shop is audited at the end.

use std::process::Stdio;

use serde_json::{json, Value};

use crate::common::serve::{init, order, serve, wait_for_state, wait_until_ended, Running};
use crate::common::Shop;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancels_over_http_and_the_command_line_in_sqlite() {
    cancels_over_http_and_the_command_line(&Shop::sqlite(&crate::common::scratch("cancel", "shop.db"))).await;
}

#[cfg(feature = "aws")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancels_over_http_and_the_command_line_on_aws() {
    cancels_over_http_and_the_command_line(&Shop::aws()).await;
}

async fn cancels_over_http_and_the_command_line(shop: &Shop) {
    init(shop);
    // No courier yet: every checkout waits for one (the deadline is 15 real minutes away).
    let (_server, url) = serve(shop, &["--no-courier"]);
    let client = reqwest::Client::new();
    let place = |id: &str| client.post(format!("{url}/orders")).json(&order(id, "b-dune", "u-ada", 2)).send();
    assert_eq!(place("c-http").await.unwrap().status(), 202);
    assert_eq!(place("c-cli").await.unwrap().status(), 202);
    wait_for_state(&client, &url, "c-http", "preparing-order").await;
    wait_for_state(&client, &url, "c-cli", "preparing-order").await;
    let held: Value = client.get(format!("{url}/orders/c-http")).send().await.unwrap().json().await.unwrap();
    assert_eq!(held["holds"], json!({ "copies": 2, "points": 0, "charged": 2598 }));

    // Careless and hostile requests first: none of them cancels anything.
    let cancel = |path: &str| client.post(format!("{url}{path}"));
    let form = cancel("/orders/c-http/cancel").header("content-type", "text/plain").body("{}").send().await.unwrap();
    assert_eq!(form.status(), 415, "a cross-origin simple request cannot cancel");
    let extra = cancel("/orders/c-http/cancel").json(&json!({ "refund": 1_000_000 })).send().await.unwrap();
    assert_eq!(extra.status(), 400);
    assert_eq!(cancel("/orders/nobody/cancel").json(&json!({})).send().await.unwrap().status(), 404);
    assert_eq!(cancel("/orders/has%20space/cancel").json(&json!({})).send().await.unwrap().status(), 400);
    let still: Value = client.get(format!("{url}/orders/c-http")).send().await.unwrap().json().await.unwrap();
    assert_eq!(still["state"], "preparing-order");

    // Honoured: compensated, everything back.
    let cancelled = cancel("/orders/c-http/cancel?wait=true").json(&json!({})).send().await.unwrap();
    assert_eq!(cancelled.status(), 200);
    let cancelled: Value = cancelled.json().await.unwrap();
    assert_eq!(cancelled["cancelled"], true);
    assert_eq!(cancelled["at"], "preparing-order");
    assert_eq!(cancelled["outcome"], "compensated");
    let ended = wait_until_ended(&client, &url, "c-http").await;
    assert_eq!(ended["state"], "compensated");
    assert_eq!(ended["holds"], json!({ "copies": 0, "points": 0, "charged": 0 }));
    let history: Value = client.get(format!("{url}/orders/c-http/history")).send().await.unwrap().json().await.unwrap();
    let steps: Vec<&str> = history.as_array().unwrap().iter().filter_map(|e| e["step"].as_str()).collect();
    assert!(steps.contains(&"cancel") && steps.contains(&"refund"), "{steps:?}");

    // A second cancel: nothing to cancel, said as a conflict.
    let again = cancel("/orders/c-http/cancel").json(&json!({})).send().await.unwrap();
    assert_eq!(again.status(), 409);
    let again: Value = again.json().await.unwrap();
    assert!(again["error"].as_str().unwrap().contains("nothing to cancel"), "{again}");

    // From another process, while the server still drives it: the cancel claims it away.
    let by_cli = shop.command("cancel").args(["--order", "c-cli"]).output().unwrap();
    let said = String::from_utf8_lossy(&by_cli.stdout);
    assert!(by_cli.status.success(), "{said} {}", String::from_utf8_lossy(&by_cli.stderr));
    assert!(said.contains("while it was preparing-order") && said.contains("compensated"), "{said}");

    // Now a courier: the server's fenced-out wait for c-cli gets its answer and saves nothing.
    let _courier = Running(shop.command("courier").args(["--url", &url]).stdout(Stdio::null()).spawn().unwrap());
    let placed = client
        .post(format!("{url}/orders?wait=true"))
        .json(&order("c-late", "b-dune", "u-ada", 1))
        .send()
        .await
        .unwrap();
    assert_eq!(placed.json::<Value>().await.unwrap()["outcome"], "dispatched");
    let late = cancel("/orders/c-late/cancel").json(&json!({})).send().await.unwrap();
    assert_eq!(late.status(), 409);
    let late: Value = late.json().await.unwrap();
    assert!(late["error"].as_str().unwrap().contains("point of no return"), "{late}");
    let by_cli = shop.command("cancel").args(["--order", "c-late"]).output().unwrap();
    let error = String::from_utf8_lossy(&by_cli.stderr);
    assert!(!by_cli.status.success());
    assert!(
        error.contains("error: order c-late cannot be cancelled") && error.contains("point of no return"),
        "{error}"
    );
    let kept = wait_until_ended(&client, &url, "c-late").await;
    assert_eq!(kept["state"], "dispatched");
    assert_eq!(kept["holds"]["copies"], 1);

    let c_cli = wait_until_ended(&client, &url, "c-cli").await;
    assert_eq!(c_cli["state"], "compensated", "the fenced-out server did not dispatch it: {c_cli}");
    let audit = shop.command("audit").arg("--all-ended").output().unwrap();
    assert!(audit.status.success(), "{}", String::from_utf8_lossy(&audit.stdout));
}
