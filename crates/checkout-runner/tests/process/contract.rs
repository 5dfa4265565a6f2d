//! The HTTP API against its own contract, on both backends: schemathesis (pinned, installed on
//! first use) reads `/openapi.json` from a running `checkout serve` and sends it what the
//! document allows and what it does not (examples, boundary values, random bodies and ids,
//! sequences that follow one answer's ids into the next request), with the operator's token.
//! Every answer must be documented, of the documented type and shape, and none a 5xx; the shop
//! is audited afterwards.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::common::serve::{init, serve};
use crate::common::{scratch, Shop};

const TOKEN: &str = "contract-5e1f0a9c27b44d8e93a1";

/// schemathesis' `st`, installed into the project's virtualenv for it on first use.
fn schemathesis() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let installed = Command::new("bash").arg(root.join("scripts/aws-local/install.sh")).arg("schemathesis").status();
    assert!(
        installed.is_ok_and(|s| s.success()),
        "installing schemathesis failed: run scripts/aws-local/install.sh schemathesis"
    );
    std::env::var_os("SCHEMATHESIS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/aws-local/schemathesis-venv"))
        .join("bin/st")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_keeps_its_contract_in_sqlite() {
    keeps_its_contract(&Shop::sqlite(&scratch("contract", "shop.db")), "contract").await;
}

#[cfg(feature = "aws")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_keeps_its_contract_on_aws() {
    keeps_its_contract(&Shop::aws(), "contract-aws").await;
}

async fn keeps_its_contract(shop: &Shop, folder: &str) {
    let st = schemathesis();
    init(shop);
    let token_file = scratch(folder, "operator-token");
    std::fs::write(&token_file, TOKEN).unwrap();
    let (_server, url) = serve(shop, &["--operator-token-file", token_file.to_str().unwrap()]);
    let run = Command::new(&st)
        .args(["run", &format!("{url}/openapi.json")])
        .args(["--header", &format!("Authorization: Bearer {TOKEN}")])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        ])
        .args(["--max-examples", "25", "--no-color"])
        .env("SCHEMATHESIS_HOOKS", "")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "schemathesis found answers outside the contract:\n{said}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(said.contains(" passed"), "{said}");
    // The orders it placed run on; the shop must hold up whatever they were.
    let client = reqwest::Client::new();
    let example: serde_json::Value =
        client.get(format!("{url}/orders/o-1")).send().await.unwrap().json().await.unwrap();
    assert_eq!(example["order"]["bookId"], "b-dune", "the documented example order was placed: {example}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let audit = shop.command("audit").output().unwrap();
    assert!(audit.status.success(), "{}", String::from_utf8_lossy(&audit.stdout));
}
