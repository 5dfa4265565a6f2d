//! The runner on DynamoDB, SQS and SNS (moto server): whole checkouts racing for the last copies
//! and for one customer's points, and the AWS calls one checkout costs.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use checkout_aws::moto::MotoServer;
use checkout_aws::AwsShop;
use checkout_domain::fencing::Lease;
use checkout_domain::registry::Admission;
use checkout_domain::{BookId, CheckoutId, Money, Order, Outcome, UserId};
use checkout_drive::courier::{answer, WorkerBehaviour};
use checkout_drive::world::RealWorld;
use checkout_drive::{drive_all, CourierAnswer, Driver};
use checkout_engine::{Engine, Policy};
use checkout_ports::{CheckoutRepository, CourierInbox, CourierQueue, ShopAdmin};
use checkout_runner::worker::run_in_process;

async fn fresh_shop() -> AwsShop {
    MotoServer::shared().fresh_shop().await.expect("a shop on moto")
}

fn runner(shop: AwsShop) -> Arc<Driver<AwsShop>> {
    // The courier deadline (15 minutes) passes in 18 s: ample for moto under this load.
    Arc::new(Driver::new(Arc::new(shop), Engine::new(Policy::default(), 7), RealWorld::new(50)))
}

fn order(n: usize, book: &str, user: &str, redeem: bool) -> Order {
    let json = format!(r#"{{"orderId":"o-{n}","bookId":"{book}","userId":"{user}","quantity":1,"redeem":{redeem}}}"#);
    Order::from_json(&json).expect("a valid order")
}

/// Admits `orders`, then drives them all at once with an in-process courier worker.
async fn run_all(runner: &Arc<Driver<AwsShop>>, orders: &[Order]) -> BTreeMap<CheckoutId, Outcome> {
    let mut ids = Vec::new();
    for (n, order) in orders.iter().enumerate() {
        let fresh = CheckoutId::new(format!("ck-{n}")).expect("valid");
        let admitted = runner.shop().admit(order, fresh, Lease::LAPSED).await.expect("admitted");
        assert!(matches!(admitted, Admission::Opened(_)), "{admitted:?}");
        ids.push(admitted.checkout().clone());
    }
    let worker = tokio::spawn(run_in_process(Arc::clone(runner), WorkerBehaviour::default(), 3));
    let outcomes = Arc::new(std::sync::Mutex::new(BTreeMap::new()));
    let recorded = Arc::clone(&outcomes);
    drive_all(Arc::clone(runner), futures::stream::iter(ids), orders.len(), move |id, outcome| {
        let outcome = outcome.as_ref().unwrap_or_else(|e| panic!("checkout {id} stopped: {e}"));
        recorded.lock().unwrap().insert(id.clone(), *outcome);
    })
    .await;
    worker.abort();
    let outcomes = outcomes.lock().unwrap().clone();
    outcomes
}

fn count(outcomes: &BTreeMap<CheckoutId, Outcome>, wanted: Outcome) -> usize {
    outcomes.values().filter(|o| **o == wanted).count()
}

async fn audit_passes(shop: &AwsShop) {
    let report = checkout_runner::audit::audit(shop, u64::MAX / 4, true).await.expect("readable");
    assert!(report.passed(), "{:?}", report.findings);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_checkouts_for_the_last_five_copies() {
    let shop = fresh_shop().await;
    let book = BookId::new("b-last").unwrap();
    shop.stock_book(&book, 5, Money::from_minor_units(1_000)).await.unwrap();
    for u in 0..32 {
        shop.open_customer(&UserId::new(format!("u-{u}")).unwrap(), 50_000, 0).await.unwrap();
    }
    let orders: Vec<Order> = (0..32).map(|n| order(n, "b-last", &format!("u-{n}"), false)).collect();
    let runner = runner(shop.clone());
    let outcomes = run_all(&runner, &orders).await;

    assert_eq!(outcomes.len(), 32, "every checkout ended");
    assert_eq!(count(&outcomes, Outcome::Dispatched), 5, "{outcomes:?}");
    assert_eq!(count(&outcomes, Outcome::Rejected), 27, "{outcomes:?}");
    let balances = shop.balances().await.unwrap();
    assert_eq!((balances.stock[&book], balances.held.stock[&book]), (0, 5), "the 5 copies are with the 5 orders");
    let charged: u64 = balances.funds.values().map(|f| 50_000 - f).sum();
    assert_eq!(charged, 5 * 1_000, "only the dispatched orders paid");
    audit_passes(&shop).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_customers_concurrent_redemptions_never_overdraw_the_points() {
    let shop = fresh_shop().await;
    let book = BookId::new("b-many").unwrap();
    let user = UserId::new("u-loyal").unwrap();
    shop.stock_book(&book, 100, Money::from_minor_units(2_000)).await.unwrap();
    shop.open_customer(&user, 1_000_000, 250).await.unwrap();
    let orders: Vec<Order> = (0..16).map(|n| order(n, "b-many", "u-loyal", true)).collect();
    let runner = runner(shop.clone());
    let outcomes = run_all(&runner, &orders).await;

    assert_eq!(count(&outcomes, Outcome::Dispatched), 16, "{outcomes:?}");
    let mut redeemed = 0;
    for id in outcomes.keys() {
        let checkout = shop.load(id).await.unwrap().expect("kept");
        redeemed += checkout.pricing().expect("priced").points_redeemed.get();
    }
    let balances = shop.balances().await.unwrap();
    assert!(redeemed > 0, "some checkout redeemed points");
    assert_eq!(redeemed, 250 - balances.points[&user], "every point taken is a point some checkout redeemed");
    assert_eq!(balances.held.points[&user], redeemed);
    audit_passes(&shop).await;
}

/// Drives one checkout with a courier worker that reads the queue only when told a request is
/// on it (as an SQS-triggered function would), and returns its outcome and the calls it cost.
async fn one_checkout(runner: &Arc<Driver<AwsShop>>, order: &Order) -> (Outcome, BTreeMap<String, u64>) {
    let shop = Arc::clone(runner.shop());
    let before = shop.calls().snapshot();
    let fresh = CheckoutId::new(format!("ck-{}", order.id())).unwrap();
    let id = shop.admit(order, fresh, Lease::LAPSED).await.unwrap().checkout().clone();
    let courier = {
        let runner = Arc::clone(runner);
        tokio::spawn(async move {
            runner.courier_request_sent(Duration::from_secs(30)).await;
            let mut rng = fastrand::Rng::with_seed(1);
            for request in runner.shop().take(10).await.unwrap() {
                let decision = answer(&request, &mut rng, WorkerBehaviour::default()).expect("none lost");
                let CourierAnswer::Assigned(_) = &decision else { panic!("no courier") };
                runner.deliver(request.token, decision);
            }
        })
    };
    let outcome = runner.drive(&id).await.unwrap();
    courier.abort();
    let after = shop.calls().snapshot();
    let spent = after
        .into_iter()
        .filter_map(|(op, n)| Some((op.clone(), n - before.get(&op).copied().unwrap_or(0))).filter(|(_, n)| *n > 0))
        .collect();
    (outcome, spent)
}

fn per_service(calls: &BTreeMap<String, u64>, service: &str) -> u64 {
    calls.iter().filter(|(op, _)| op.starts_with(&format!("{service}:"))).map(|(_, n)| n).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn aws_calls_per_checkout() {
    let shop = fresh_shop().await;
    shop.stock_book(&BookId::new("b-1").unwrap(), 10, Money::from_minor_units(1_500)).await.unwrap();
    shop.open_customer(&UserId::new("u-rich").unwrap(), 100_000, 0).await.unwrap();
    shop.open_customer(&UserId::new("u-poor").unwrap(), 100, 0).await.unwrap();
    let runner = runner(shop.clone());

    let (happy, happy_calls) = one_checkout(&runner, &order(1, "b-1", "u-rich", false)).await;
    assert_eq!(happy, Outcome::Dispatched);
    // Declined: stock was reserved, the charge is refused, the stock goes back.
    let (declined, declined_calls) = one_checkout(&runner, &order(2, "b-1", "u-poor", false)).await;
    assert_eq!(declined, Outcome::Compensated);

    println!("| call | happy checkout | compensated (charge declined) |\n|---|---|---|");
    let ops: std::collections::BTreeSet<&String> = happy_calls.keys().chain(declined_calls.keys()).collect();
    for op in ops {
        let n = |calls: &BTreeMap<String, u64>| calls.get(op).copied().unwrap_or(0);
        println!("| {op} | {} | {} |", n(&happy_calls), n(&declined_calls));
    }
    for service in ["dynamodb", "sqs", "sns"] {
        println!(
            "| **{service}** | **{}** | **{}** |",
            per_service(&happy_calls, service),
            per_service(&declined_calls, service)
        );
    }
    // What a happy checkout needs: the admission, the claim, the reservation, the charge and the
    // notice each read once and write once; the four saves in between write once each (the
    // pure steps go with them); the request is sent, received and deleted; one notice is
    // published. The declined one reads and writes once more for each of the release and the
    // refund (a refund of a declined charge leaves its tombstone), and sends nothing. A change in
    // these counts changes the cost estimate: look into it, then update them.
    assert_eq!(per_service(&happy_calls, "dynamodb"), 5 * 2 + 4, "{happy_calls:?}");
    assert_eq!(per_service(&declined_calls, "dynamodb"), 16, "{declined_calls:?}");
    assert_eq!(per_service(&happy_calls, "sqs"), 3, "{happy_calls:?}");
    assert_eq!(per_service(&happy_calls, "sns"), 1, "{happy_calls:?}");
    assert_eq!(per_service(&declined_calls, "sqs") + per_service(&declined_calls, "sns"), 0, "{declined_calls:?}");
}

/// SQS delivers at least once: the worker gets the same courier request twice and answers both
/// times. The checkout takes the first answer; the second, for a wait already over, changes
/// nothing: one courier, one notice.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_courier_request_delivered_twice_has_one_effect() {
    let shop = fresh_shop().await;
    shop.stock_book(&BookId::new("b-1").unwrap(), 3, Money::from_minor_units(900)).await.unwrap();
    shop.open_customer(&UserId::new("u-1").unwrap(), 10_000, 0).await.unwrap();
    let runner = runner(shop.clone());
    let id =
        shop.admit(&order(1, "b-1", "u-1", false), CheckoutId::new("ck-twice").unwrap(), Lease::LAPSED).await.unwrap();
    let id = id.checkout().clone();
    let courier = {
        let runner = Arc::clone(&runner);
        tokio::spawn(async move {
            runner.courier_request_sent(Duration::from_secs(30)).await;
            let shop = runner.shop();
            let first = shop.take(10).await.unwrap();
            assert_eq!(first.len(), 1);
            shop.send(&first[0]).await.unwrap(); // the redelivery
            let second = shop.take(10).await.unwrap();
            assert_eq!(second, first, "the same request again");
            let mut rng = fastrand::Rng::with_seed(1);
            for request in first.into_iter().chain(second) {
                let decision = answer(&request, &mut rng, WorkerBehaviour::default()).expect("none lost");
                runner.deliver(request.token, decision);
            }
        })
    };
    assert_eq!(runner.drive(&id).await.unwrap(), Outcome::Dispatched);
    courier.await.unwrap();
    let history = checkout_ports::Journal::history(&shop, &id).await.unwrap();
    let steps = |name: &str| history.iter().filter(|e| e.step == name).count();
    assert_eq!((steps("courier-reply"), steps("notify-courier")), (1, 1), "{history:?}");
    assert_eq!(shop.calls().snapshot().get("sns:Publish"), Some(&1), "one notice published");
    audit_passes(&shop).await;
}

/// A lookup by order is one GetItem of the registry and one of the record, by checkout one
/// GetItem, and an unknown order one GetItem: never a Scan, however many checkouts the table holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lookup_reads_by_key_never_scans() {
    use checkout_runner::lookup::Named;
    let shop = fresh_shop().await;
    let mut ids = Vec::new();
    for n in 0..20 {
        let fresh = CheckoutId::new(format!("ck-{n}")).unwrap();
        let admitted = shop.admit(&order(n, "b-1", "u-1", false), fresh, Lease::LAPSED).await.unwrap();
        ids.push(admitted.checkout().clone());
    }
    let spent = |before: &BTreeMap<String, u64>| -> BTreeMap<String, u64> {
        shop.calls()
            .snapshot()
            .into_iter()
            .filter_map(|(op, n)| Some((op.clone(), n - before.get(&op).copied().unwrap_or(0))).filter(|(_, n)| *n > 0))
            .collect()
    };
    let get_items = |n: u64| BTreeMap::from([("dynamodb:GetItem".to_string(), n)]);

    let before = shop.calls().snapshot();
    let found = Named::order("o-7").unwrap().find(&shop).await.unwrap().expect("admitted");
    assert_eq!(found.id(), &ids[7]);
    assert_eq!(spent(&before), get_items(2), "by order");

    let before = shop.calls().snapshot();
    assert!(Named::checkout(ids[3].as_str()).unwrap().find(&shop).await.unwrap().is_some());
    assert_eq!(spent(&before), get_items(1), "by checkout");

    let before = shop.calls().snapshot();
    assert!(Named::order("o-unknown").unwrap().find(&shop).await.unwrap().is_none());
    assert!(Named::checkout("ck-unknown").unwrap().find(&shop).await.unwrap().is_none());
    assert_eq!(spent(&before), get_items(2), "unknown ids");
}
