//! An operator's listing and resolution over HTTP and on the command line, against a running
//! `checkout serve`, on both backends. A refund refused for good (a closed card) and a courier
//! notice refused for good raise orders for an operator; only a request with the operator's
//! token may list checkouts or resolve them; the listing pages through what waits for a courier
//! and what waits for an operator; a resolution is taken only in a form that fits, and only
//! once; the audit then counts what they hold as settled by hand, and passes.

use std::process::Stdio;

use serde_json::{json, Value};

use crate::common::serve::{init, order, serve, wait_for_state, wait_until_ended, Running};
use crate::common::{scratch, Shop};

const TOKEN: &str = "op-7f3c9a1e5b2d4f6081a9c3e7";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_list_and_resolve_over_http_and_the_command_line_in_sqlite() {
    operators_list_and_resolve_over_http_and_the_command_line(&Shop::sqlite(&scratch("resolve", "shop.db")), "resolve")
        .await;
}

#[cfg(feature = "aws")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_list_and_resolve_over_http_and_the_command_line_on_aws() {
    operators_list_and_resolve_over_http_and_the_command_line(&Shop::aws(), "resolve-aws").await;
}

async fn operators_list_and_resolve_over_http_and_the_command_line(shop: &Shop, folder: &str) {
    init(shop);
    let token_file = scratch(folder, "operator-token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    let (_server, url) = serve(
        shop,
        &[
            "--no-courier",
            "--refused-refunds",
            "1",
            "--refused-notices",
            "1",
            "--operator-token-file",
            token_file.to_str().unwrap(),
        ],
    );
    let client = reqwest::Client::new();
    // Raised for a refund: cancelled while it waits for its courier, its refund is refused.
    let placed = client.post(format!("{url}/orders")).json(&order("r-refund", "b-dune", "u-ada", 2)).send();
    assert_eq!(placed.await.unwrap().status(), 202);
    wait_for_state(&client, &url, "r-refund", "preparing-order").await;
    let cancel = client.post(format!("{url}/orders/r-refund/cancel?wait=true")).json(&json!({})).send();
    assert_eq!(cancel.await.unwrap().json::<Value>().await.unwrap()["outcome"], "needs-operator");
    for id in ["r-wait-1", "r-wait-2"] {
        let placed = client.post(format!("{url}/orders")).json(&order(id, "b-dune", "u-ada", 1)).send();
        assert_eq!(placed.await.unwrap().status(), 202);
        wait_for_state(&client, &url, id, "preparing-order").await;
    }
    lists(shop, &client, &url).await;
    // Raised for its notice: a courier is assigned, and the notice is refused.
    let _courier = Running(shop.command("courier").args(["--url", &url]).stdout(Stdio::null()).spawn().unwrap());
    let placed = client.post(format!("{url}/orders?wait=true")).json(&order("r-notice", "b-dune", "u-ada", 1)).send();
    assert_eq!(placed.await.unwrap().json::<Value>().await.unwrap()["outcome"], "needs-operator");
    let raised: Value = client.get(format!("{url}/orders/r-notice")).send().await.unwrap().json().await.unwrap();
    assert_eq!(raised["state"], "notice-unconfirmed");

    let resolve = |order: &str| client.post(format!("{url}/orders/{order}/resolve"));
    let by_hand = json!({ "kind": "given-back-by-hand", "note": "refunded at the card terminal, receipt 4411" });
    // Careless and hostile requests: none of them resolves anything.
    let anonymous = resolve("r-refund").json(&by_hand).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    let guessed = resolve("r-refund").bearer_auth("op-guess").json(&by_hand).send().await.unwrap();
    assert_eq!(guessed.status(), 401);
    let operator = |order: &str| resolve(order).bearer_auth(TOKEN);
    let form = operator("r-refund").header("content-type", "text/plain").body(by_hand.to_string()).send();
    assert_eq!(form.await.unwrap().status(), 415);
    for bad in [
        json!({ "kind": "given-back-by-hand" }),
        json!({ "kind": "given-back-by-hand", "note": "  " }),
        json!({ "kind": "written-off", "note": "gone" }),
        json!({ "kind": "given-back-by-hand", "note": "ok", "amount": 5 }),
    ] {
        let answer = operator("r-refund").json(&bad).send().await.unwrap();
        assert_eq!(answer.status(), 400, "{bad}");
        let error = answer.json::<Value>().await.unwrap()["error"].as_str().unwrap().to_string();
        assert!(!error.contains(TOKEN), "{error}");
    }
    assert_eq!(operator("nobody").json(&by_hand).send().await.unwrap().status(), 404);
    let collected = json!({ "kind": "courier-confirmed", "note": "courier said so" });
    let misfit = operator("r-refund").json(&collected).send().await.unwrap();
    assert_eq!(misfit.status(), 409);
    let misfit: Value = misfit.json().await.unwrap();
    assert!(misfit["error"].as_str().unwrap().contains("before any courier was told"), "{misfit}");
    let still: Value = client.get(format!("{url}/orders/r-refund")).send().await.unwrap().json().await.unwrap();
    assert_eq!(still["state"], "needs-operator");
    assert_eq!(still["holds"], json!({ "copies": 0, "points": 0, "charged": 2598 }), "only the refund is held");

    // Taken: resolved, nothing moved, and a second resolution is refused.
    let taken = operator("r-refund").json(&by_hand).send().await.unwrap();
    assert_eq!(taken.status(), 200);
    let taken: Value = taken.json().await.unwrap();
    assert_eq!((taken["resolved"].clone(), taken["raised"].clone()), (json!(true), json!("needs-operator")));
    let resolved = wait_until_ended(&client, &url, "r-refund").await;
    assert_eq!((resolved["state"].clone(), resolved["outcome"].clone()), (json!("resolved"), json!("resolved")));
    assert_eq!(resolved["resolution"], by_hand);
    assert_eq!(resolved["holds"], json!({ "copies": 0, "points": 0, "charged": 2598 }));
    let again = operator("r-refund").json(&by_hand).send().await.unwrap();
    assert_eq!(again.status(), 409);
    // An order that ended on its own (here, rejected: more copies than the shop has) is not for
    // an operator to resolve.
    let rejected = client.post(format!("{url}/orders?wait=true")).json(&order("r-none", "b-dune", "u-ada", 90)).send();
    assert_eq!(rejected.await.unwrap().json::<Value>().await.unwrap()["outcome"], "rejected");
    let not_raised = operator("r-none").json(&by_hand).send().await.unwrap();
    assert_eq!(not_raised.status(), 409);
    let not_raised: Value = not_raised.json().await.unwrap();
    assert!(not_raised["error"].as_str().unwrap().contains("not raised for an operator"), "{not_raised}");

    // From the command line: the courier confirmed the collection of the other.
    let by_cli = shop
        .command("resolve")
        .args(["--order", "r-notice", "--courier-confirmed", "courier c-1 confirmed by phone"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&by_cli.stdout);
    assert!(by_cli.status.success(), "{said} {}", String::from_utf8_lossy(&by_cli.stderr));
    assert!(said.contains("raised as notice-unconfirmed: courier-confirmed"), "{said}");
    let twice =
        shop.command("resolve").args(["--order", "r-notice", "--given-back-by-hand", "again"]).output().unwrap();
    let error = String::from_utf8_lossy(&twice.stderr);
    assert!(!twice.status.success());
    assert!(error.contains("order r-notice cannot be resolved") && error.contains("nothing to resolve"), "{error}");
    let empty = shop.command("resolve").args(["--order", "r-notice", "--given-back-by-hand", " "]).output().unwrap();
    assert!(String::from_utf8_lossy(&empty.stderr).contains("the note is empty"));
    let history: Value =
        client.get(format!("{url}/orders/r-notice/history")).send().await.unwrap().json().await.unwrap();
    let steps: Vec<String> =
        history.as_array().unwrap().iter().map(|e| format!("{} {}", e["step"], e["result"])).collect();
    assert!(steps.iter().any(|s| s.contains("resolved as courier-confirmed")), "{steps:?}");

    let audit = shop.command("audit").arg("--all-ended").output().unwrap();
    let report = String::from_utf8_lossy(&audit.stdout);
    assert!(audit.status.success(), "{report}");
    assert!(
        report.contains("resolved by operators: 2 checkouts; given back outside the shop: 0 copies, 2598 charged, 0 points; went out on a courier's confirmation: 1 copies, 1299 charged, 0 points"),
        "{report}"
    );
}

/// The listing, while `r-refund` waits for an operator and `r-wait-1` and `r-wait-2` (placed in
/// that order) for their courier.
async fn lists(shop: &Shop, client: &reqwest::Client, url: &str) {
    let listing = |query: &str| client.get(format!("{url}/checkouts{query}"));
    let get = |query: &str| {
        let request = listing(query).bearer_auth(TOKEN).send();
        async move {
            let answer = request.await.unwrap();
            (answer.status().as_u16(), answer.json::<Value>().await.unwrap())
        }
    };
    let orders = |page: &Value| -> Vec<String> {
        page["items"].as_array().unwrap().iter().map(|i| i["order"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(listing("").send().await.unwrap().status(), 401, "a listing names every customer's orders");
    let (status, raised) = get("?raised=true").await;
    assert_eq!(status, 200);
    assert_eq!(orders(&raised), ["r-refund"]);
    assert_eq!(raised["items"][0]["state"], "needs-operator");
    assert!(raised["items"][0]["sinceMs"].as_u64().unwrap() > 0);
    assert_eq!(raised["next"], Value::Null);
    let (_, first) = get("?state=preparing-order&limit=1").await;
    assert_eq!(orders(&first), ["r-wait-1"], "the one that moved longest ago first");
    let next = first["next"].as_str().unwrap().to_string();
    let (_, second) = get(&format!("?state=preparing-order&limit=1&after={next}")).await;
    assert_eq!(orders(&second), ["r-wait-2"]);
    let (_, both) = get("?state=preparing-order,needs-operator").await;
    assert_eq!(orders(&both), ["r-wait-1", "r-wait-2", "r-refund"], "phase after phase");
    let (_, stuck) = get("?state=preparing-order&stuckFor=1d").await;
    assert_eq!(orders(&stuck), Vec::<String>::new(), "nothing has been waiting a day");
    for bad in ["?state=lost", "?after=nonsense", "?limit=0", "?limit=501", "?stuckFor=soon", "?colour=red"] {
        let (status, answer) = get(bad).await;
        assert_eq!(status, 400, "{bad}: {answer}");
    }
    let (_, unknown) = get("?state=lost").await;
    assert!(unknown["error"].as_str().unwrap().contains("one of placed"), "{unknown}");

    let cli = |args: &[&str]| {
        let out = shop.command("list").args(args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let raised = cli(&["--raised"]);
    assert!(raised.contains("needs-operator") && raised.contains("order r-refund"), "{raised}");
    let first = cli(&["--state", "preparing-order", "--limit", "1"]);
    assert!(first.contains("order r-wait-1") && !first.contains("r-wait-2"), "{first}");
    let after = first.lines().find_map(|l| l.strip_prefix("more: --after ")).expect("a next page").to_string();
    let second = cli(&["--state", "preparing-order", "--limit", "1", "--after", &after]);
    assert!(second.contains("order r-wait-2") && !second.contains("more:"), "{second}");
    let bad = shop.command("list").args(["--state", "lost"]).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no state lost"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_an_operator_token_takes_no_operator_action() {
    let shop = Shop::sqlite(&scratch("resolve-off", "shop.db"));
    init(&shop);
    let short = scratch("resolve-off", "short-token");
    std::fs::write(&short, "tooshort").unwrap();
    let refused = shop.command("serve").args(["--operator-token-file", short.to_str().unwrap()]).output().unwrap();
    let error = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(error.contains("has 8 characters; at least 24 are needed") && !error.contains("tooshort"), "{error}");
    let (_server, url) = serve(&shop, &["--no-courier"]);
    let client = reqwest::Client::new();
    let answer = client
        .post(format!("{url}/orders/o-1/resolve"))
        .bearer_auth(TOKEN)
        .json(&json!({ "kind": "given-back-by-hand", "note": "n" }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 403);
    assert!(answer.text().await.unwrap().contains("--operator-token-file"));
}
