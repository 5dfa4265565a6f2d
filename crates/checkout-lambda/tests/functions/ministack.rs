//! The template on the second emulator, ministack, with IAM enforced: `deploy/template.yaml`
//! deployed as on moto (`scripts/aws-local/deploy.py`), but here the stack's functions are this
//! crate's real binaries, run by ministack itself under sessions of their execution roles, so
//! each call they make is held to exactly its role's policy; ministack's event source mapping
//! hands courier requests to the courier function, and its Step Functions engine (not moto's,
//! which is LocalStack's) runs the generated machine. Then each action of each role is removed in
//! turn: a checkout breaks, or the action is named below with why nothing here can show it.
//!
//! ministack records `HeartbeatSeconds` but does not enforce it: the heartbeat scenarios run on
//! moto only (`end_to_end.rs`).

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::common::stack::{
    alias_routes_to_the_first_version, an_unanswerable_request_is_dead_lettered, order, run_to_end, start,
    stock_and_funds, watch,
};
use checkout_aws::deploy::Deployed;
use checkout_aws::ministack::Ministack;
use checkout_aws::moto::python;
use checkout_aws::{clients, AwsShop, Calls, ResourceNames};
use checkout_domain::{BookId, Money, UserId};
use checkout_ports::ShopAdmin;
use checkout_stepfn::contract::{COMPENSATED, REJECTED};
use serde_json::Value;

/// The stack, deployed on a ministack of its own, and a shop over what it made.
struct Deployment {
    ministack: Ministack,
    deployed: Deployed,
    shop: AwsShop,
    sfn: aws_sdk_sfn::Client,
    sqs: aws_sdk_sqs::Client,
}

impl Deployment {
    async fn start() -> Deployment {
        let ministack = Ministack::start().unwrap_or_else(|e| panic!("{e}"));
        let template = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy/template.yaml");
        let binaries = vec![
            ("checkout-step".to_string(), PathBuf::from(env!("CARGO_BIN_EXE_checkout-step"))),
            ("checkout-courier".to_string(), PathBuf::from(env!("CARGO_BIN_EXE_checkout-courier"))),
        ];
        let deployed = ministack.deploy(&template, "checkout", binaries).unwrap_or_else(|e| panic!("{e}"));
        let prefix = &deployed.functions["checkout-step"].environment["CHECKOUT_PREFIX"];
        let endpoint = ministack.endpoint(ResourceNames::new(prefix.clone()));
        let shop = AwsShop::connect(&endpoint).await.expect("the stack made the shop's tables, queue and topic");
        shop.stock_book(&BookId::new("b-1").unwrap(), 100, Money::from_minor_units(1_000)).await.unwrap();
        shop.open_customer(&UserId::new("u-rich").unwrap(), 1_000_000, 0).await.unwrap();
        shop.open_customer(&UserId::new("u-poor").unwrap(), 100, 0).await.unwrap();
        let (_, sqs, _) = clients(&endpoint, &Calls::default()).await.unwrap();
        let sfn = crate::common::watch::sfn_client(&ministack.url());
        Deployment { ministack, deployed, shop, sfn, sqs }
    }

    /// What executions start through: the alias, which routes them to the deployed version.
    fn machine(&self) -> &str {
        &self.deployed.outputs["StateMachineAliasArn"]
    }

    /// The inline policies of role `logical` (its logical id in the template), as deployed.
    fn policies(&self, logical: &str) -> Vec<(String, Value)> {
        let shown = self.roles(&["show", &self.deployed.resources[logical]]);
        let shown: Value = serde_json::from_slice(&shown).unwrap();
        let pairs = shown.as_array().unwrap().iter();
        pairs.map(|p| (p["PolicyName"].as_str().unwrap().to_string(), p["PolicyDocument"].clone())).collect()
    }

    fn put_policy(&self, logical: &str, name: &str, document: &Value) {
        self.roles(&["put", &self.deployed.resources[logical], name, &document.to_string()]);
    }

    /// `scripts/aws-local/roles.py` with `args`, as the account's root.
    fn roles(&self, args: &[&str]) -> Vec<u8> {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/aws-local/roles.py");
        let output = Command::new(python().unwrap())
            .arg(script)
            .args(["--endpoint-url", &self.ministack.url()])
            .args(args)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        output.stdout
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deployed_template_runs_the_checkout_under_its_roles() {
    let deployment = Deployment::start().await;
    let (sfn, machine, shop) = (&deployment.sfn, deployment.machine(), &deployment.shop);
    alias_routes_to_the_first_version(sfn, machine).await;

    let happy = run_to_end(sfn, machine, &order("m-happy", "u-rich", 2)).await;
    assert_eq!((happy.status.as_str(), happy.error.as_deref()), ("SUCCEEDED", None), "{happy:?}");
    assert_eq!(happy.states, ["Bill", "WaitForCourier", "Dispatch"]);
    assert_eq!(stock_and_funds(shop, "u-rich").await, (98, 998_000));

    let declined = run_to_end(sfn, machine, &order("m-poor", "u-poor", 1)).await;
    assert_eq!((declined.status.as_str(), declined.error.as_deref()), ("FAILED", Some(COMPENSATED)), "{declined:?}");
    assert_eq!(stock_and_funds(shop, "u-poor").await, (98, 100), "the copy released, nothing charged");

    let big = run_to_end(sfn, machine, &order("m-big", "u-rich", 500)).await;
    assert_eq!((big.status.as_str(), big.error.as_deref()), ("FAILED", Some(REJECTED)), "{big:?}");

    let report = checkout_runner::audit::audit(shop, u64::MAX / 4, true).await.unwrap();
    assert!(report.passed(), "{:?}", report.findings);
}

/// As on moto: a request the courier cannot answer comes back until the redrive policy
/// dead-letters it (the visibility timeout shortened to 1 s for the test).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_the_courier_cannot_answer_is_dead_lettered() {
    let deployment = Deployment::start().await;
    an_unanswerable_request_is_dead_lettered(&deployment.sqs, &deployment.deployed.resources).await;
}

/// What taking an action away from a role does on ministack.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Without {
    /// A checkout no longer ends as it should: the action is needed.
    Breaks,
    /// Checkouts end as they should, for the reason given: the action is used only where
    /// ministack does not hold the call to the role (it stays, for AWS).
    Unchecked(&'static str),
}

const LOGS: Without = Without::Unchecked("Lambda's log delivery writes with the role; ministack keeps logs itself");
const POLLER: Without =
    Without::Unchecked("Lambda's SQS poller acts with the function's role; ministack's poller is the service itself");
const MACHINE: Without =
    Without::Unchecked("ministack's Step Functions calls Lambda and SQS as itself, not as the machine's role");

/// Every action of every role in the template, and what taking it away does here. A new action
/// in the template fails the test until it is placed here.
const ACTIONS: &[(&str, &str, Without)] = &[
    ("StepRole", "dynamodb:GetItem", Without::Breaks),
    ("StepRole", "dynamodb:PutItem", Without::Breaks),
    ("StepRole", "dynamodb:UpdateItem", Without::Breaks),
    ("StepRole", "dynamodb:ConditionCheckItem", Without::Breaks),
    (
        "StepRole",
        "sns:Publish",
        Without::Unchecked("ministack let the function's publish through without it, though it refuses boto3's"),
    ),
    ("StepRole", "logs:CreateLogStream", LOGS),
    ("StepRole", "logs:PutLogEvents", LOGS),
    ("CourierRole", "sqs:ReceiveMessage", POLLER),
    ("CourierRole", "sqs:DeleteMessage", POLLER),
    ("CourierRole", "sqs:GetQueueAttributes", POLLER),
    ("CourierRole", "states:SendTaskSuccess", Without::Breaks),
    (
        "CourierRole",
        "states:SendTaskFailure",
        Without::Unchecked("sent only when no courier is free: never, as deployed"),
    ),
    (
        "CourierRole",
        "states:SendTaskHeartbeat",
        Without::Unchecked("sent every 40 s of a courier search; none lasts that long here (moto's end_to_end beats)"),
    ),
    ("CourierRole", "logs:CreateLogStream", LOGS),
    ("CourierRole", "logs:PutLogEvents", LOGS),
    ("StateMachineRole", "lambda:InvokeFunction", MACHINE),
    ("StateMachineRole", "sqs:SendMessage", MACHINE),
];

/// Each role's policy as deployed, less one action (and its statement, if it was the only one:
/// a statement with an empty action list would match any action).
fn without(document: &Value, statement: usize, action: &str) -> Value {
    let mut less = document.clone();
    let statements = less["Statement"].as_array_mut().unwrap();
    let actions = match &statements[statement]["Action"] {
        Value::String(one) => vec![Value::String(one.clone())],
        Value::Array(many) => many.clone(),
        other => panic!("an action list: {other}"),
    };
    let kept: Vec<Value> = actions.into_iter().filter(|a| a != action).collect();
    match kept.is_empty() {
        true => drop(statements.remove(statement)),
        false => statements[statement]["Action"] = Value::Array(kept),
    }
    less
}

fn actions_of(statement: &Value) -> Vec<String> {
    match &statement["Action"] {
        Value::String(action) => vec![action.clone()],
        Value::Array(actions) => actions.iter().map(|a| a.as_str().unwrap().to_string()).collect(),
        other => panic!("an action list: {other}"),
    }
}

/// Each action of each role taken away in turn, with three checkouts run without it (one that
/// dispatches, one declined that compensates, one for a book the shop does not sell that is
/// rejected): one of them breaks (does not end as it should within 6 s), or the action is named
/// in [`ACTIONS`] with why nothing here can show it is needed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_any_action_of_any_role_breaks_a_checkout_or_is_named() {
    let deployment = Deployment::start().await;
    let (sfn, machine) = (&deployment.sfn, deployment.machine());
    let mut seen = Vec::new();
    for role in ["StepRole", "CourierRole", "StateMachineRole"] {
        for (name, document) in deployment.policies(role) {
            for (s, statement) in document["Statement"].as_array().unwrap().iter().enumerate() {
                for action in actions_of(statement) {
                    let expected = ACTIONS.iter().find(|(r, a, _)| *r == role && *a == action);
                    let (_, _, expected) = expected.unwrap_or_else(|| panic!("{role} {action} is not in ACTIONS"));
                    // A checkout ends in a second or two: one still running after 6 s is broken.
                    let within = Duration::from_secs(if *expected == Without::Breaks { 6 } else { 30 });
                    deployment.put_policy(role, &name, &without(&document, s, &action));
                    let n = seen.len();
                    let happy = start(sfn, machine, &order(&format!("r-{n}-happy"), "u-rich", 1)).await;
                    let declined = start(sfn, machine, &order(&format!("r-{n}-poor"), "u-poor", 1)).await;
                    let mut unknown = order(&format!("r-{n}-unknown"), "u-rich", 1);
                    unknown["bookId"] = "b-unknown".into();
                    let unknown = start(sfn, machine, &unknown).await;
                    let mut ends = Vec::new();
                    for execution in [&happy, &declined, &unknown] {
                        let ended = watch(sfn, execution, within).await;
                        if ended.status == "RUNNING" {
                            sfn.stop_execution().execution_arn(execution).send().await.unwrap();
                        }
                        ends.push((ended.status, ended.error));
                    }
                    let as_it_should = ends[0] == ("SUCCEEDED".to_string(), None)
                        && ends[1] == ("FAILED".to_string(), Some(COMPENSATED.to_string()))
                        && ends[2] == ("FAILED".to_string(), Some(REJECTED.to_string()));
                    match expected {
                        Without::Breaks => assert!(!as_it_should, "{role} without {action}: {ends:?}"),
                        Without::Unchecked(why) => assert!(as_it_should, "{role} without {action} ({why}): {ends:?}"),
                    }
                    seen.push((role, action));
                }
            }
            // Each removal is put over the whole policy as deployed, so the next one replaces
            // it: the policy is put back whole once, after its last.
            deployment.put_policy(role, &name, &document);
        }
    }
    assert_eq!(seen.len(), ACTIONS.len(), "every action in ACTIONS is in the template: {seen:?}");
}
