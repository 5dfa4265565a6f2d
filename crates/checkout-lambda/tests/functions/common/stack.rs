//! Running checkouts on a deployed stack: an execution per order, named by the order's id, run
//! to its end; the shop's stock and funds; what waits on a queue.

use std::time::{Duration, Instant};

use checkout_aws::AwsShop;
use checkout_domain::{BookId, UserId};
use checkout_ports::ShopAdmin;
use serde_json::{json, Value};

/// An order of `quantity` copies of b-1 for `user`.
pub fn order(id: &str, user: &str, quantity: u32) -> Value {
    json!({ "orderId": id, "bookId": "b-1", "userId": user, "quantity": quantity })
}

/// How an execution ended: its status, its error, the states it entered, and its history's
/// failure causes.
#[derive(Debug)]
pub struct Ended {
    pub status: String,
    pub error: Option<String>,
    pub states: Vec<String>,
    pub causes: Vec<String>,
}

/// Starts an execution of `machine` for `order`, named by its id.
pub async fn start(sfn: &aws_sdk_sfn::Client, machine: &str, order: &Value) -> String {
    let name = order["orderId"].as_str().unwrap();
    let started =
        sfn.start_execution().state_machine_arn(machine).name(name).input(order.to_string()).send().await.unwrap();
    started.execution_arn().to_string()
}

/// Where `execution` stands after at most `within`: ended, or still running.
pub async fn watch(sfn: &aws_sdk_sfn::Client, execution: &str, within: Duration) -> Ended {
    let begun = Instant::now();
    let described = loop {
        let described = sfn.describe_execution().execution_arn(execution).send().await.unwrap();
        if described.status().as_str() != "RUNNING" || begun.elapsed() > within {
            break described;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let history = sfn.get_execution_history().execution_arn(execution).max_results(1000).send().await.unwrap();
    let events = history.events();
    let states = events.iter().filter_map(|e| e.state_entered_event_details().map(|d| d.name().to_string())).collect();
    let causes = events
        .iter()
        .filter_map(|e| e.task_failed_event_details().and_then(|d| d.cause()).map(str::to_string))
        .collect();
    Ended {
        status: described.status().as_str().to_string(),
        error: described.error().map(str::to_string),
        states,
        causes,
    }
}

/// Runs `order` through `machine` to its end (within 90 s).
pub async fn run_to_end(sfn: &aws_sdk_sfn::Client, machine: &str, order: &Value) -> Ended {
    let execution = start(sfn, machine, order).await;
    let ended = watch(sfn, &execution, Duration::from_secs(90)).await;
    assert_ne!(ended.status, "RUNNING", "execution {} did not end: {ended:?}", order["orderId"]);
    ended
}

/// Copies of b-1 in stock, and `user`'s funds.
pub async fn stock_and_funds(shop: &AwsShop, user: &str) -> (u64, u64) {
    let balances = shop.balances().await.unwrap();
    (balances.stock[&BookId::new("b-1").unwrap()], balances.funds[&UserId::new(user).unwrap()])
}

/// The bodies of the messages on queue `url`, waiting up to `within` for `count` of them.
pub async fn messages_on(sqs: &aws_sdk_sqs::Client, url: &str, count: usize, within: Duration) -> Vec<String> {
    let begun = Instant::now();
    let mut bodies = Vec::new();
    while bodies.len() < count && begun.elapsed() < within {
        let received = sqs.receive_message().queue_url(url).max_number_of_messages(10).send().await.unwrap();
        bodies.extend(received.messages().iter().filter_map(|m| m.body().map(str::to_string)));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bodies
}

/// Shortens queue `url`'s visibility timeout to `seconds`, after checking it is `deployed`.
pub async fn shorten_visibility(sqs: &aws_sdk_sqs::Client, url: &str, deployed: &str, seconds: &str) {
    let attributes = sqs.get_queue_attributes().queue_url(url).attribute_names("All".into()).send().await.unwrap();
    assert_eq!(attributes.attributes().unwrap()[&"VisibilityTimeout".into()], deployed, "as deployed");
    sqs.set_queue_attributes().queue_url(url).attributes("VisibilityTimeout".into(), seconds).send().await.unwrap();
}

/// Checks that `alias` (what clients start executions through) routes every execution to the
/// first version the deploy published, and answers it.
pub async fn alias_routes_to_the_first_version(sfn: &aws_sdk_sfn::Client, alias: &str) -> String {
    let described = sfn.describe_state_machine_alias().state_machine_alias_arn(alias).send().await.unwrap();
    let routes = described.routing_configuration();
    assert_eq!(routes.len(), 1, "{routes:?}");
    assert_eq!(routes[0].weight(), 100);
    let version = routes[0].state_machine_version_arn().to_string();
    assert!(version.ends_with(":1"), "the deploy published version 1: {version}");
    version
}

/// Puts a message no courier can answer on the deployed courier queue (its visibility timeout,
/// 360 s as deployed, shortened to 1 s so that its deliveries take seconds), and checks that the
/// redrive policy moves it to the dead-letter queue and nothing is left on the queue.
pub async fn an_unanswerable_request_is_dead_lettered(
    sqs: &aws_sdk_sqs::Client,
    resources: &std::collections::BTreeMap<String, String>,
) {
    let queue = &resources["CourierQueue"];
    shorten_visibility(sqs, queue, "360", "1").await;
    sqs.send_message().queue_url(queue).message_body("not a courier request").send().await.unwrap();
    let dead = messages_on(sqs, &resources["CourierDeadLetters"], 1, Duration::from_secs(60)).await;
    assert_eq!(dead, ["not a courier request"], "dead-lettered after its deliveries");
    assert!(messages_on(sqs, queue, 1, Duration::from_secs(2)).await.is_empty());
}
