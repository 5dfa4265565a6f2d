//! The template itself, deployed: `deploy/template.yaml` transformed by the SAM translator and
//! created as a CloudFormation stack on moto (`scripts/aws-local/deploy.py`), and the checkout
//! run on what the stack made: its tables, its courier queue and dead-letter queue, its topic, its
//! state machine, its functions (this crate's binaries, each polling a `cargo lambda watch`
//! runtime API of its own, with the environment the stack gave it), and the event source mapping that hands courier requests to the courier
//! function. Nothing here is provisioned by the test and the test answers no courier request.
//!
//! What moto cannot do is added to the server as AWS does it (see `scripts/aws-local/
//! moto_server.py`): a state machine's definition read from S3 with its substitutions, and a
//! poller serving the event source mapping with partial batch responses.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::common::stack::{
    alias_routes_to_the_first_version, an_unanswerable_request_is_dead_lettered, order, run_to_end, stock_and_funds,
};
use crate::common::watch::{free_port, sfn_client, Watch};
use checkout_aws::moto::{Deployed, MotoServer};
use checkout_aws::{clients, AwsShop, Calls, ResourceNames};
use checkout_domain::{BookId, Money, UserId};
use checkout_ports::ShopAdmin;
use checkout_stepfn::contract::{COMPENSATED, REJECTED};

/// The functions of the template, each served on a port of its own.
const FUNCTIONS: [&str; 2] = ["checkout-step", "checkout-courier"];

/// The stack, deployed on a moto of its own, and a shop over what it made.
struct Deployment {
    _watches: Vec<Watch>,
    moto: MotoServer,
    deployed: Deployed,
    shop: AwsShop,
    sfn: aws_sdk_sfn::Client,
    sqs: aws_sdk_sqs::Client,
}

impl Deployment {
    async fn start() -> Deployment {
        let ports: Vec<(&str, u16)> = FUNCTIONS.iter().map(|function| (*function, free_port())).collect();
        let moto = MotoServer::start_serving(None, &ports).expect("moto starts");
        let template = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy/template.yaml");
        let deployed = moto.deploy(&template, "checkout").unwrap_or_else(|e| panic!("{e}"));
        let mut watches = Vec::new();
        for (function, port) in &ports {
            let config = deployed.functions.get(*function).unwrap_or_else(|| panic!("the stack made no {function}"));
            let mut env: BTreeMap<String, String> = config.environment.clone();
            for (name, value) in [
                ("AWS_ENDPOINT_URL", moto.url()),
                ("AWS_REGION", "us-east-1".into()),
                ("AWS_ACCESS_KEY_ID", "test".into()),
                ("AWS_SECRET_ACCESS_KEY", "test".into()),
            ] {
                env.insert(name.into(), value);
            }
            let env: Vec<(String, String)> = env.into_iter().collect();
            watches.push(Watch::start(*port, &[function], &env, &format!("deployed-{}-{function}", moto.port())).await);
        }
        let prefix = &deployed.functions["checkout-step"].environment["CHECKOUT_PREFIX"];
        let endpoint = moto.endpoint(ResourceNames::new(prefix.clone()));
        let shop = AwsShop::connect(&endpoint).await.expect("the stack made the shop's tables, queue and topic");
        shop.stock_book(&BookId::new("b-1").unwrap(), 5, Money::from_minor_units(1_000)).await.unwrap();
        shop.open_customer(&UserId::new("u-rich").unwrap(), 100_000, 0).await.unwrap();
        shop.open_customer(&UserId::new("u-poor").unwrap(), 100, 0).await.unwrap();
        let (_, sqs, _) = clients(&endpoint, &Calls::default()).await.unwrap();
        let sfn = sfn_client(&moto.url());
        Deployment { _watches: watches, moto, deployed, shop, sfn, sqs }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deployed_template_runs_the_checkout() {
    let deployment = Deployment::start().await;
    let (sfn, shop) = (&deployment.sfn, &deployment.shop);
    // Executions start through the alias, which routes them to the version the deploy published.
    let machine = &deployment.deployed.outputs["StateMachineAliasArn"];
    alias_routes_to_the_first_version(sfn, machine).await;

    // The courier request goes on the stack's queue; its event source mapping hands it to the
    // courier function, which answers the waiting task.
    let happy = run_to_end(sfn, machine, &order("d-happy", "u-rich", 2)).await;
    assert_eq!((happy.status.as_str(), happy.error.as_deref()), ("SUCCEEDED", None), "{happy:?}");
    assert_eq!(happy.states, ["Bill", "WaitForCourier", "Dispatch"]);
    assert_eq!(stock_and_funds(shop, "u-rich").await, (3, 98_000));

    let declined = run_to_end(sfn, machine, &order("d-poor", "u-poor", 1)).await;
    assert_eq!((declined.status.as_str(), declined.error.as_deref()), ("FAILED", Some(COMPENSATED)));
    assert_eq!(stock_and_funds(shop, "u-poor").await, (3, 100), "the copy released, nothing charged");

    let big = run_to_end(sfn, machine, &order("d-big", "u-rich", 50)).await;
    assert_eq!((big.status.as_str(), big.error.as_deref()), ("FAILED", Some(REJECTED)));

    let report = checkout_runner::audit::audit(shop, u64::MAX / 4, true).await.unwrap();
    assert!(report.passed(), "{:?}", report.findings);
    drop(deployment.moto);
}

/// A courier request the function cannot answer is reported as that record's failure, so the
/// queue delivers it again, and after the redrive policy's five receives moves it to the
/// dead-letter queue. (The queue's visibility timeout, 360 s as deployed, is shortened to 1 s
/// here so that five deliveries take seconds.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_the_courier_cannot_answer_is_tried_again_then_dead_lettered() {
    let deployment = Deployment::start().await;
    an_unanswerable_request_is_dead_lettered(&deployment.sqs, &deployment.deployed.resources).await;
    let log = format!("../../target/aws-local/deployed-{}-checkout-courier.log", deployment.moto.port());
    let log = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(log)).unwrap();
    let tries = log.matches("not answered; SQS delivers it again").count();
    assert_eq!(tries, 5, "delivered five times, as the redrive policy says:\n{log}");
    drop(deployment.moto);
}
