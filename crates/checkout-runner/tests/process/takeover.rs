//! Two `checkout serve` processes on one shop, and one of them lost: frozen (SIGSTOP, as a machine
//! that stalls or loses its network), killed (SIGKILL) or stopped (SIGTERM) with checkouts in
//! flight. The other takes them over once their leases lapse (a stopped server gives its leases
//! up) and ends every one; the lost one, if it comes back, advances none of them again; the audit
//! passes. Each test runs on a SQLite file and on moto server.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::serve::{init, order, serve, serve_announced, Running};
use crate::common::Shop;

fn scratch(name: &str) -> PathBuf {
    crate::common::scratch("takeover", name)
}

/// The lease both servers hold their checkouts under, in real milliseconds.
const LEASE_MS: &str = "400";

fn signal(server: &Running, name: &str) {
    let sent = Command::new("kill").args([name, &server.0.id().to_string()]).status().unwrap();
    assert!(sent.success(), "kill {name}");
}

/// Freezes `server`. A SQLite writer frozen inside a transaction would hold the database's write
/// lock, which no lease can break (SQLite's own limit, not the shop's): freeze it again until it
/// is caught between transactions.
fn freeze(server: &Running, db: Option<&Path>) {
    for _ in 0..100 {
        signal(server, "-STOP");
        let Some(db) = db else { return };
        let conn = rusqlite::Connection::open(db).unwrap();
        if conn.execute_batch("BEGIN IMMEDIATE; ROLLBACK;").is_ok() {
            return;
        }
        signal(server, "-CONT");
        std::thread::sleep(Duration::from_millis(7));
    }
    panic!("the server always held the write lock");
}

async fn state(client: &reqwest::Client, url: &str, id: &str) -> Value {
    client.get(format!("{url}/orders/{id}")).send().await.unwrap().json().await.unwrap()
}

async fn notices(client: &reqwest::Client, url: &str, id: &str) -> usize {
    let history: Value = client.get(format!("{url}/orders/{id}/history")).send().await.unwrap().json().await.unwrap();
    history.as_array().unwrap().iter().filter(|e| e["step"] == "notify-courier").count()
}

fn ended(status: &Value) -> bool {
    ["dispatched", "rejected", "compensated", "needs-operator"].contains(&status["state"].as_str().unwrap_or_default())
}

fn audit_passes(shop: &Shop) {
    let audit = shop.command("audit").arg("--all-ended").output().unwrap();
    assert!(audit.status.success(), "{}", String::from_utf8_lossy(&audit.stdout));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_servers_checkouts_are_taken_over_in_sqlite() {
    let db = scratch("frozen.db");
    a_frozen_servers_checkouts_are_taken_over(&Shop::sqlite(&db), Some(&db)).await;
}

#[cfg(feature = "aws")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_servers_checkouts_are_taken_over_on_aws() {
    a_frozen_servers_checkouts_are_taken_over(&Shop::aws(), None).await;
}

/// The first server, with no courier worker, leaves 10 checkouts waiting for their courier and
/// freezes. A second server started beside it takes them over once their leases lapse (and not
/// before: started while the first was live, it would not) and dispatches them. The first, thawed,
/// is superseded: it notifies no courier again.
async fn a_frozen_servers_checkouts_are_taken_over(shop: &Shop, db: Option<&Path>) {
    init(shop);
    // Real time on both: servers sharing a shop must agree on their clocks.
    let (first, first_url) = serve(shop, &["--no-courier", "--clock-speed", "1", "--lease-ms", LEASE_MS]);
    let client = reqwest::Client::new();
    let ids: Vec<String> = (0..10).map(|n| format!("t-{n}")).collect();
    for id in &ids {
        let placed =
            client.post(format!("{first_url}/orders")).json(&order(id, "b-piranesi", "u-barbara", 1)).send().await;
        assert_eq!(placed.unwrap().status(), 202);
    }
    for id in &ids {
        let started = Instant::now();
        while state(&client, &first_url, id).await["state"] != "preparing-order" {
            assert!(started.elapsed() < Duration::from_secs(20), "{id} never waited for its courier");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    // A server started beside a live one leaves its checkouts alone.
    {
        let (_beside, _, announced) =
            serve_announced(shop, &["--no-courier", "--clock-speed", "1", "--lease-ms", LEASE_MS]);
        assert!(announced.contains("10 checkouts unfinished, 0 of them abandoned"), "{announced}");
    }
    freeze(&first, db);
    tokio::time::sleep(Duration::from_millis(2 * LEASE_MS.parse::<u64>().unwrap())).await;
    let (_second, second_url, announced) = serve_announced(shop, &["--clock-speed", "1", "--lease-ms", LEASE_MS]);
    assert!(announced.contains("10 checkouts unfinished, 10 of them abandoned"), "{announced}");
    for id in &ids {
        let started = Instant::now();
        let status = loop {
            let status = state(&client, &second_url, id).await;
            if ended(&status) {
                break status;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "{id} was not taken over: {status}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        };
        assert_eq!(status["state"], "dispatched", "{status}");
    }
    // The first comes back, renews nothing, and advances nothing: every notice went out once.
    signal(&first, "-CONT");
    tokio::time::sleep(Duration::from_millis(3 * LEASE_MS.parse::<u64>().unwrap())).await;
    for id in &ids {
        assert_eq!(state(&client, &first_url, id).await["state"], "dispatched");
        assert_eq!(notices(&client, &second_url, id).await, 1, "{id} was notified once");
    }
    audit_passes(shop);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_servers_checkouts_are_ended_by_the_survivor_in_sqlite() {
    a_killed_servers_checkouts_are_ended_by_the_survivor(&Shop::sqlite(&scratch("killed.db")), "1000").await;
}

#[cfg(feature = "aws")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_servers_checkouts_are_ended_by_the_survivor_on_aws() {
    a_killed_servers_checkouts_are_ended_by_the_survivor(&Shop::aws(), "100").await;
}

/// Both servers take orders; one is killed while its checkouts are at every step. Every order
/// either server acknowledged ends, driven by the survivor, and the shop's books balance. Before
/// leases, the dead server's checkouts (holding copies, points and money) waited for a restart.
async fn a_killed_servers_checkouts_are_ended_by_the_survivor(shop: &Shop, clock_speed: &str) {
    init(shop);
    let flags = ["--clock-speed", clock_speed, "--lease-ms", LEASE_MS];
    let (doomed, doomed_url) = serve(shop, &flags);
    let (_survivor, survivor_url) = serve(shop, &flags);
    let client = reqwest::Client::new();
    let doomed_took = Arc::new(AtomicUsize::new(0));
    let place = |url: String, id: String| {
        let (client, doomed_took) = (client.clone(), Arc::clone(&doomed_took));
        async move {
            let posted = client.post(format!("{url}/orders")).json(&order(&id, "b-dune", "u-ada", 1)).send().await;
            let acknowledged = posted.is_ok_and(|answer| answer.status().is_success());
            if acknowledged && id.starts_with("doomed") {
                doomed_took.fetch_add(1, Ordering::Relaxed);
            }
            acknowledged.then_some(id)
        }
    };
    let mut orders = tokio::task::JoinSet::new();
    for n in 0..40 {
        orders.spawn(place(doomed_url.clone(), format!("doomed-{n}")));
        orders.spawn(place(survivor_url.clone(), format!("kept-{n}")));
    }
    // Killed while orders still arrive and its first checkouts are under way.
    let started = Instant::now();
    while doomed_took.load(Ordering::Relaxed) < 10 {
        assert!(started.elapsed() < Duration::from_secs(30), "the doomed server took no orders");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut doomed = doomed;
    doomed.0.kill().unwrap();
    doomed.0.wait().unwrap();
    let killed = Instant::now();
    let mut acknowledged = Vec::new();
    while let Some(placed) = orders.join_next().await {
        acknowledged.extend(placed.unwrap());
    }
    let of_the_dead = acknowledged.iter().filter(|id| id.starts_with("doomed")).count();
    let mut last = Duration::ZERO;
    for id in &acknowledged {
        loop {
            let status = state(&client, &survivor_url, id).await;
            if ended(&status) {
                break;
            }
            assert!(killed.elapsed() < Duration::from_secs(90), "{id} was never ended: {status}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        last = last.max(killed.elapsed());
    }
    eprintln!(
        "the survivor ended all {} acknowledged orders ({of_the_dead} taken by the killed server) within {} ms \
         of the kill, with {LEASE_MS} ms leases at clock speed {clock_speed}",
        acknowledged.len(),
        last.as_millis()
    );
    audit_passes(shop);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_server_hands_its_checkouts_over_in_sqlite() {
    a_stopped_server_hands_its_checkouts_over(&Shop::sqlite(&scratch("stopped.db"))).await;
}

#[cfg(feature = "aws")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_server_hands_its_checkouts_over_on_aws() {
    a_stopped_server_hands_its_checkouts_over(&Shop::aws()).await;
}

/// A server stopped with SIGTERM while its checkouts wait for a courier and a `?wait=true`
/// request waits with them: it lets the request run for its few seconds of grace, exits 0, and
/// gives its leases up, so the server beside it takes the checkouts over at its next sweep, long
/// before their 20 s leases would have lapsed. (Before, SIGINT waited for the open request without
/// end, and SIGTERM killed the server with its leases held.)
async fn a_stopped_server_hands_its_checkouts_over(shop: &Shop) {
    init(shop);
    let (mut first, first_url) = serve(shop, &["--no-courier", "--clock-speed", "1", "--lease-ms", "20000"]);
    let client = reqwest::Client::new();
    let ids: Vec<String> = (0..5).map(|n| format!("s-{n}")).collect();
    for id in &ids {
        let placed = client.post(format!("{first_url}/orders")).json(&order(id, "b-piranesi", "u-barbara", 1)).send();
        assert_eq!(placed.await.unwrap().status(), 202);
    }
    for id in &ids {
        let started = Instant::now();
        while state(&client, &first_url, id).await["state"] != "preparing-order" {
            assert!(started.elapsed() < Duration::from_secs(20), "{id} never waited for its courier");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let waiting =
        client.post(format!("{first_url}/orders?wait=true")).json(&order("s-wait", "b-piranesi", "u-barbara", 1));
    let waiting = tokio::spawn(waiting.send());
    let (_second, second_url) = serve(shop, &["--clock-speed", "1", "--lease-ms", "3000"]);
    tokio::time::sleep(Duration::from_millis(300)).await;

    signal(&first, "-TERM");
    let stopped = Instant::now();
    let status = loop {
        if let Some(status) = first.0.try_wait().unwrap() {
            break status;
        }
        assert!(stopped.elapsed() < Duration::from_secs(15), "the server did not stop");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let took = stopped.elapsed();
    assert!(status.success(), "a stopped server exits 0: {status}");
    assert!(took >= Duration::from_secs(4), "the open request had its grace: {took:?}");
    assert!(waiting.await.unwrap().is_err(), "the request still open at the end of the grace is cut off");
    for id in ids.iter().map(String::as_str).chain(["s-wait"]) {
        loop {
            let status = state(&client, &second_url, id).await;
            if ended(&status) {
                assert_eq!(status["state"], "dispatched", "{status}");
                break;
            }
            assert!(stopped.elapsed() < Duration::from_secs(15), "{id} waited for its lease to lapse: {status}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
    eprintln!(
        "the stopped server exited after {took:?}; its checkouts ended {:?} after the SIGTERM",
        stopped.elapsed()
    );
    audit_passes(shop);
}
