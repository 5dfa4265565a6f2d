//! A `checkout serve` process for a test: started on a free port, stocked from the sample
//! catalog, followed over HTTP, and killed when the test ends, however it ends.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use super::Shop;

/// A child process killed when the test ends, however it ends.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `checkout serve` on a free port and returns it with its base URL. `extra` sets the
/// clock's speed, and may add more.
pub fn serve(shop: &Shop, extra: &[&str]) -> (Running, String) {
    let (running, url, _) = serve_announced(shop, extra);
    (running, url)
}

/// [`serve`], also answering the line it announced itself with.
pub fn serve_announced(shop: &Shop, extra: &[&str]) -> (Running, String, String) {
    serve_in(shop, extra, &[])
}

/// [`serve_announced`], with these environment variables set for the server.
pub fn serve_in(shop: &Shop, extra: &[&str], env: &[(&str, &str)]) -> (Running, String, String) {
    let mut command = shop.command("serve");
    command.args(["--listen", "127.0.0.1:0"]).args(extra).envs(env.iter().copied()).stderr(Stdio::inherit());
    let mut child = command.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url =
        line.split_whitespace().find(|w| w.starts_with("http://")).unwrap_or_else(|| panic!("{line}")).to_string();
    (Running(child), url, line)
}

pub fn order(id: &str, book: &str, user: &str, quantity: u32) -> Value {
    json!({ "orderId": id, "bookId": book, "userId": user, "quantity": quantity })
}

/// Waits until order `id` has ended, and answers its status.
pub async fn wait_until_ended(client: &reqwest::Client, url: &str, id: &str) -> Value {
    // Every ended checkout, whatever its end, shows its outcome.
    wait_until(client, url, id, "its end", |status| status.get("outcome").is_some()).await
}

/// Waits until order `id` is in `state` (`preparing-order`: waiting for its courier).
pub async fn wait_for_state(client: &reqwest::Client, url: &str, id: &str, state: &str) -> Value {
    wait_until(client, url, id, state, |status| status["state"] == state).await
}

/// Reads order `id`'s status until `reached`, for up to a minute: the tests share two cores, and
/// a checkout that ends in a second alone can take many beside them.
async fn wait_until(
    client: &reqwest::Client,
    url: &str,
    id: &str,
    what: &str,
    reached: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..2_400 {
        let status: Value = client.get(format!("{url}/orders/{id}")).send().await.unwrap().json().await.unwrap();
        if reached(&status) {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("order {id} never reached {what}");
}

/// Stocks `shop` from the sample catalog.
pub fn init(shop: &Shop) {
    let catalog = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/catalog.json");
    let init = shop.command("init").args(["--catalog", catalog.to_str().unwrap()]).output().unwrap();
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
}
