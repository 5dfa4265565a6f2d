//! The operator's console end to end, in headless Chromium (Debian's) driven by playwright-core
//! (`console/e2e/console.mjs`), against a running `checkout serve` on SQLite whose refunds are
//! refused (so a cancelled order is raised for an operator) and whose courier takes 2.5 s (so an
//! order can be cancelled while it waits): place an order and watch it dispatch on the graph,
//! change one's mind about a cancel, cancel another, find it raised, resolve it with a note that
//! looks like markup, run the audit. The screenshots are kept in `target/tmp/console-screenshots`.

use std::path::PathBuf;
use std::process::Command;

use crate::common::serve::{init, serve};
use crate::common::{scratch, Shop};

const TOKEN: &str = "console-3d9a4b7c1e2f5a6b8c0d";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_works_the_shop_from_the_console() {
    let installed = Command::new("bash").arg(root().join("scripts/console/install.sh")).output().unwrap();
    assert!(
        installed.status.success(),
        "installing Chromium and playwright-core failed: {}",
        String::from_utf8_lossy(&installed.stderr)
    );
    let shop = Shop::sqlite(&scratch("console", "shop.db"));
    init(&shop);
    let token_file = scratch("console", "operator-token");
    std::fs::write(&token_file, TOKEN).unwrap();
    let (_server, url) = serve(
        &shop,
        &[
            "--operator-token-file",
            token_file.to_str().unwrap(),
            "--refused-refunds",
            "1",
            "--courier-delay-ms",
            "2500",
        ],
    );

    // The page may run only its own script and talk only to this server.
    let page = reqwest::get(format!("{url}/")).await.unwrap();
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(policy.contains("script-src 'self'") && policy.contains("connect-src 'self'"), "{policy}");
    assert!(page.text().await.unwrap().contains("<title>checkout console</title>"));

    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots");
    let _ = std::fs::remove_dir_all(&shots);
    let run = Command::new("node")
        .arg(root().join("crates/checkout-runner/console/e2e/console.mjs"))
        .args([&url, TOKEN, shots.to_str().unwrap()])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{said}\n{}\nscreenshots in {}",
        String::from_utf8_lossy(&run.stderr),
        shots.display()
    );
    for shot in ["1-dispatched.png", "2-raised.png", "3-resolved.png", "4-audit.png"] {
        let path = shots.join(shot);
        assert!(std::fs::metadata(&path).is_ok_and(|m| m.len() > 10_000), "{} is missing or empty", path.display());
        println!("screenshot: {}", path.display());
    }
    // The order the operator kept may still wait for its courier: the audit holds what has ended.
    let audit = shop.command("audit").output().unwrap();
    assert!(audit.status.success(), "{}", String::from_utf8_lossy(&audit.stdout));
}
