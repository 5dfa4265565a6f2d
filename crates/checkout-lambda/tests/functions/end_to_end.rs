//! The checkout end to end on loopback: the generated state machine run by moto's Step Functions
//! interpreter, its Lambda invocations served by `cargo lambda watch` from this crate's real
//! binaries, the courier request on SQS answered by the real courier function (or by the
//! worker's own code, for a worker that finds no courier), everything stored in moto's
//! DynamoDB. Each scenario asserts the execution's status and the shop afterwards.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::common::watch::{free_port, sfn_client, Watch};
use checkout_aws::moto::MotoServer;
use checkout_aws::{clients, AwsShop, Calls, Endpoint};
use checkout_domain::{BookId, Money, UserId};
use checkout_drive::courier::WorkerBehaviour;
use checkout_lambda::courier::{beating, decide, send, task_token};
use checkout_ports::ShopAdmin;
use checkout_stepfn::contract::{COMPENSATED, REJECTED};
use serde_json::{json, Value};

const ACCOUNT: &str = "123456789012";

/// moto with Step Functions, `cargo lambda watch` serving this crate's functions, and a shop.
struct Stack {
    watch: Watch,
    moto: MotoServer,
    endpoint: Endpoint,
    shop: AwsShop,
    sfn: aws_sdk_sfn::Client,
    sqs: aws_sdk_sqs::Client,
}

impl Stack {
    async fn start() -> Stack {
        let lambda_port = free_port();
        let moto = MotoServer::start_with(Some(lambda_port)).expect("moto starts");
        let endpoint = moto.fresh_endpoint();
        AwsShop::provision(&endpoint).await.unwrap();
        let shop = AwsShop::connect(&endpoint).await.unwrap();
        shop.stock_book(&BookId::new("b-1").unwrap(), 5, Money::from_minor_units(1_000)).await.unwrap();
        shop.open_customer(&UserId::new("u-rich").unwrap(), 100_000, 0).await.unwrap();
        shop.open_customer(&UserId::new("u-poor").unwrap(), 100, 0).await.unwrap();

        let env = [
            ("CHECKOUT_PREFIX", endpoint.names.prefix.clone()),
            ("COURIER_QUEUE_URL", shop.queue_url().to_string()),
            ("COURIER_TOPIC_ARN", shop.topic_arn().to_string()),
            ("AWS_ENDPOINT_URL", moto.url()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ];
        let env: Vec<(String, String)> = env.into_iter().map(|(name, value)| (name.to_string(), value)).collect();
        let watch = Watch::start(lambda_port, &["checkout-step", "checkout-courier"], &env, "watch").await;
        let (_, sqs, _) = clients(&endpoint, &Calls::default()).await.unwrap();
        let sfn = sfn_client(&moto.url());
        Stack { watch, moto, endpoint, shop, sfn, sqs }
    }

    /// The generated definition, its substitutions filled in; `wait_s` shortens the courier
    /// wait's timeout and drops its heartbeat, `heartbeat_s` shortens its heartbeat (the only
    /// numbers a scenario changes, so that a timeout can be seen).
    async fn machine(&self, wait_s: Option<u64>, heartbeat_s: Option<u64>) -> String {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy/checkout.asl.json");
        let text = std::fs::read_to_string(path)
            .unwrap()
            .replace("${StepFunctionArn}", &format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:checkout-step"))
            .replace("${CourierQueueUrl}", self.shop.queue_url());
        let mut definition: Value = serde_json::from_str(&text).unwrap();
        if let Some(seconds) = wait_s {
            definition["States"]["WaitForCourier"]["TimeoutSeconds"] = json!(seconds);
            definition["States"]["WaitForCourier"].as_object_mut().unwrap().remove("HeartbeatSeconds");
        }
        if let Some(seconds) = heartbeat_s {
            definition["States"]["WaitForCourier"]["HeartbeatSeconds"] = json!(seconds);
        }
        let name = format!("{}-{}-{}", self.endpoint.names.prefix, wait_s.unwrap_or(0), heartbeat_s.unwrap_or(0));
        let created = self
            .sfn
            .create_state_machine()
            .name(name)
            .definition(definition.to_string())
            .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/checkout"))
            .send()
            .await
            .unwrap();
        created.state_machine_arn().to_string()
    }
}

/// How the courier side behaves in a scenario.
#[derive(Clone, Copy, PartialEq)]
enum Courier {
    /// The real courier function, invoked with the queue's messages as SQS would.
    Finds,
    /// The worker's own code, deciding that no courier is free.
    FindsNone,
    /// Nobody answers.
    Silent,
    /// The worker's own code finds a courier after a search longer than the heartbeat period,
    /// sending heartbeats while it searches or not.
    Slow { beats: bool },
}

/// How long a slow search takes: longer than the shortened heartbeat period.
const SLOW_SEARCH: Duration = Duration::from_secs(3);

/// The end of one execution: its status, its error, and the states it entered.
#[derive(Debug)]
struct Ended {
    status: String,
    error: Option<String>,
    states: Vec<String>,
}

/// Runs `order` under its own id as the execution's name, as a client does.
async fn execute(stack: &Stack, machine: &str, order: &Value, courier: Courier) -> Ended {
    execute_as(stack, machine, order["orderId"].as_str().unwrap(), order, courier).await
}

async fn execute_as(stack: &Stack, machine: &str, name: &str, order: &Value, courier: Courier) -> Ended {
    let started = stack
        .sfn
        .start_execution()
        .state_machine_arn(machine)
        .name(name)
        .input(order.to_string())
        .send()
        .await
        .unwrap();
    let execution = started.execution_arn().to_string();
    let begun = Instant::now();
    let mut answered = courier == Courier::Silent;
    let described = loop {
        let described = stack.sfn.describe_execution().execution_arn(&execution).send().await.unwrap();
        if described.status().as_str() != "RUNNING" {
            break described;
        }
        assert!(begun.elapsed() < Duration::from_secs(90), "execution {name} did not end");
        if !answered {
            let received = stack
                .sqs
                .receive_message()
                .queue_url(stack.shop.queue_url())
                .max_number_of_messages(10)
                .send()
                .await
                .unwrap();
            for message in received.messages() {
                let body = message.body().unwrap();
                // A request of an earlier scenario's (a silent courier's) is not this one's.
                let request: Value = serde_json::from_str(body).unwrap();
                if request["order"]["orderId"] != order["orderId"] {
                    continue;
                }
                answered = true;
                match courier {
                    Courier::Finds => {
                        let event =
                            json!({ "Records": [{ "messageId": message.message_id().unwrap(), "body": body }] });
                        let url = format!(
                            "http://127.0.0.1:{}/2015-03-31/functions/checkout-courier/invocations",
                            stack.watch.port
                        );
                        let answer: Value =
                            reqwest::Client::new().post(url).json(&event).send().await.unwrap().json().await.unwrap();
                        assert_eq!(answer["batchItemFailures"], json!([]), "{answer}");
                    }
                    Courier::FindsNone => {
                        let none = WorkerBehaviour { delay_ms: 0, failure_rate: 1.0, loss_rate: 0.0 };
                        let reply = decide(body, none, &mut fastrand::Rng::with_seed(3)).unwrap().unwrap();
                        send(&stack.sfn, &reply).await.unwrap();
                    }
                    Courier::Slow { beats } => {
                        let find = async {
                            tokio::time::sleep(SLOW_SEARCH).await;
                            let finds = WorkerBehaviour { delay_ms: 0, failure_rate: 0.0, loss_rate: 0.0 };
                            decide(body, finds, &mut fastrand::Rng::with_seed(3)).unwrap().unwrap()
                        };
                        let token = task_token(body).unwrap();
                        let reply = match beats {
                            true => beating(&stack.sfn, &token, Duration::from_millis(500), find).await,
                            false => Some(find.await),
                        };
                        if let Some(reply) = reply {
                            let sent = send(&stack.sfn, &reply).await;
                            // Without heartbeats the task is over by now: AWS answers
                            // TaskTimedOut (which `send` counts as done), moto InvalidToken.
                            if beats {
                                sent.unwrap();
                            }
                        }
                    }
                    Courier::Silent => {}
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let history = stack.sfn.get_execution_history().execution_arn(&execution).max_results(1000).send().await.unwrap();
    let states =
        history.events().iter().filter_map(|e| e.state_entered_event_details().map(|d| d.name().to_string())).collect();
    Ended { status: described.status().as_str().to_string(), error: described.error().map(str::to_string), states }
}

fn order(id: &str, user: &str, quantity: u32) -> Value {
    json!({ "orderId": id, "bookId": "b-1", "userId": user, "quantity": quantity })
}

async fn stock_and_funds(stack: &Stack, user: &str) -> (u64, u64) {
    let balances = stack.shop.balances().await.unwrap();
    (balances.stock[&BookId::new("b-1").unwrap()], balances.funds[&UserId::new(user).unwrap()])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generated_machine_runs_every_path_on_loopback() {
    let stack = Stack::start().await;
    let machine = stack.machine(None, None).await;

    // Happy: three states, stock and money taken once.
    let happy = execute(&stack, &machine, &order("e-happy", "u-rich", 2), Courier::Finds).await;
    assert_eq!(happy.status, "SUCCEEDED", "{happy:?}");
    assert_eq!(happy.states, ["Bill", "WaitForCourier", "Dispatch"], "three state transitions");
    assert_eq!(stock_and_funds(&stack, "u-rich").await, (3, 98_000));

    // The same order started again: no second checkout, nothing taken twice.
    let again = stack
        .sfn
        .start_execution()
        .state_machine_arn(&machine)
        .name("e-happy")
        .input(order("e-happy", "u-rich", 2).to_string())
        .send()
        .await;
    if let Ok(started) = &again {
        // moto, like Step Functions, may hand back the execution that exists.
        assert!(started.execution_arn().ends_with(":e-happy"), "{started:?}");
    }
    assert_eq!(stock_and_funds(&stack, "u-rich").await, (3, 98_000));

    // The same order under another execution name (an operator's re-drive): it finds the
    // checkout dispatched and succeeds at once, taking nothing.
    let redriven = execute_as(&stack, &machine, "e-happy-again", &order("e-happy", "u-rich", 2), Courier::Finds).await;
    assert_eq!(redriven.status, "SUCCEEDED", "{redriven:?}");
    assert_eq!(redriven.states, ["Bill", "AlreadyDispatched"]);
    assert_eq!(stock_and_funds(&stack, "u-rich").await, (3, 98_000));

    // A Bill whose reply was lost: it ran once already, and runs again under the execution.
    let lost = order("e-lost", "u-rich", 1);
    let url = format!("http://127.0.0.1:{}/2015-03-31/functions/checkout-step/invocations", stack.watch.port);
    let first: Value = reqwest::Client::new()
        .post(&url)
        .json(&json!({ "action": "bill", "order": lost }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(first["waitToken"].is_string(), "{first}");
    let retried = execute(&stack, &machine, &lost, Courier::Finds).await;
    assert_eq!(retried.status, "SUCCEEDED", "{retried:?}");
    assert_eq!(stock_and_funds(&stack, "u-rich").await, (2, 97_000), "one copy and one charge for it");

    // Declined: compensated inside Bill, the execution FAILED.
    let declined = execute(&stack, &machine, &order("e-poor", "u-poor", 1), Courier::Finds).await;
    assert_eq!((declined.status.as_str(), declined.error.as_deref()), ("FAILED", Some(COMPENSATED)), "{declined:?}");
    assert_eq!(stock_and_funds(&stack, "u-poor").await, (2, 100));

    // Out of stock: rejected.
    let big = execute(&stack, &machine, &order("e-big", "u-rich", 50), Courier::Finds).await;
    assert_eq!((big.status.as_str(), big.error.as_deref()), ("FAILED", Some(REJECTED)), "{big:?}");

    // No courier free: the worker fails the task, the checkout compensates.
    let nobody = execute(&stack, &machine, &order("e-nobody", "u-rich", 1), Courier::FindsNone).await;
    assert_eq!((nobody.status.as_str(), nobody.error.as_deref()), ("FAILED", Some(COMPENSATED)), "{nobody:?}");
    assert!(nobody.states.contains(&"Compensate".to_string()), "{nobody:?}");
    assert_eq!(stock_and_funds(&stack, "u-rich").await, (2, 97_000), "everything given back");

    // The courier never answers: the wait times out (shortened to 2 s), the checkout compensates.
    let short = stack.machine(Some(2), None).await;
    let silent = execute(&stack, &short, &order("e-silent", "u-rich", 1), Courier::Silent).await;
    assert_eq!((silent.status.as_str(), silent.error.as_deref()), ("FAILED", Some(COMPENSATED)), "{silent:?}");
    assert_eq!(stock_and_funds(&stack, "u-rich").await, (2, 97_000), "everything given back");

    // A search that outlasts the heartbeat period (shortened to 2 s): the worker's heartbeats
    // keep the wait open and the checkout is dispatched; without them the wait fails at its
    // heartbeat and the checkout compensates.
    let beating_machine = stack.machine(None, Some(2)).await;
    let kept = execute(&stack, &beating_machine, &order("e-slow", "u-rich", 1), Courier::Slow { beats: true }).await;
    assert_eq!(kept.status, "SUCCEEDED", "{kept:?}");
    let dropped =
        execute(&stack, &beating_machine, &order("e-unbeaten", "u-rich", 1), Courier::Slow { beats: false }).await;
    assert_eq!((dropped.status.as_str(), dropped.error.as_deref()), ("FAILED", Some(COMPENSATED)), "{dropped:?}");
    assert_eq!(stock_and_funds(&stack, "u-rich").await, (1, 96_000), "one copy and one charge, for e-slow");

    let report = checkout_runner::audit::audit(&stack.shop, u64::MAX / 4, true).await.unwrap();
    assert!(report.passed(), "{:?}", report.findings);
    assert_eq!(stack.shop.checkouts().await.unwrap().len(), 8, "one checkout per order");
    drop(stack.moto);
}
