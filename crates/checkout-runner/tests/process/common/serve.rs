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
    let mut child =
        shop.command("serve").args(["--listen", "127.0.0.1:0"]).args(extra).stderr(Stdio::inherit()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url =
        line.split_whitespace().find(|w| w.starts_with("http://")).unwrap_or_else(|| panic!("{line}")).to_string();
    (Running(child), url, line)
}

pub fn order(id: &str, book: &str, user: &str, quantity: u32) -> Value {
    json!({ "orderId": id, "bookId": book, "userId": user, "quantity": quantity })
}

/// Waits until order `id` has ended, for up to a minute: the tests share two cores and one moto
/// server, and a checkout that ends in a second alone can take many beside them.
pub async fn wait_until_ended(client: &reqwest::Client, url: &str, id: &str) -> Value {
    for _ in 0..2_400 {
        let status: Value = client.get(format!("{url}/orders/{id}")).send().await.unwrap().json().await.unwrap();
        // Every ended checkout, whatever its end, shows its outcome.
        if status.get("outcome").is_some() {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("order {id} did not end");
}

/// Stocks `shop` from the sample catalog.
pub fn init(shop: &Shop) {
    let catalog = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/catalog.json");
    let init = shop.command("init").args(["--catalog", catalog.to_str().unwrap()]).output().unwrap();
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
}
