//! The committed deployment files are what the generator writes now, the machine routes every
//! outcome where the crate docs say, and the template grants nothing to everyone.

use checkout_asl::contract::{COMPENSATED, DISPATCHED, NEEDS_OPERATOR, REJECTED};
use checkout_asl::machine::{definition, path};
use checkout_engine::Policy;
use serde_json::Value;

#[test]
fn the_committed_files_are_what_the_generator_writes() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for (name, text) in checkout_asl::files() {
        let committed = std::fs::read_to_string(root.join(name)).unwrap_or_default();
        assert!(committed == text, "{name} is stale: run `cargo run -p checkout-asl --bin generate`");
    }
}

#[test]
fn every_path_ends_where_its_outcome_says_and_a_happy_checkout_takes_three_transitions() {
    let machine = definition(&Policy::default());
    assert_eq!(path(&machine, &[]), ["Bill", "WaitForCourier", "Dispatch"]);
    assert_eq!(path(&machine, &[("Bill", REJECTED)]), ["Bill", "Rejected"]);
    assert_eq!(path(&machine, &[("Bill", COMPENSATED)]), ["Bill", "Compensated"]);
    assert_eq!(
        path(&machine, &[("Bill", "States.TaskFailed"), ("Compensate", COMPENSATED)]),
        ["Bill", "Compensate", "Compensated"]
    );
    assert_eq!(
        path(&machine, &[("WaitForCourier", "States.Timeout"), ("Compensate", COMPENSATED)]),
        ["Bill", "WaitForCourier", "Compensate", "Compensated"]
    );
    assert_eq!(
        path(&machine, &[("WaitForCourier", "States.Timeout"), ("Compensate", NEEDS_OPERATOR)]),
        ["Bill", "WaitForCourier", "Compensate", "NeedsOperator"]
    );
    assert_eq!(path(&machine, &[("Bill", DISPATCHED)]), ["Bill", "AlreadyDispatched"]);
    assert_eq!(
        path(&machine, &[("WaitForCourier", "States.Timeout"), ("Compensate", REJECTED)]),
        ["Bill", "WaitForCourier", "Compensate", "Rejected"]
    );
    for end in ["Rejected", "Compensated", "NeedsOperator"] {
        assert_eq!(machine["States"][end]["Type"], "Fail", "a failed checkout ends FAILED");
    }
    assert_eq!(machine["States"]["AlreadyDispatched"]["Type"], "Succeed");
}

#[test]
fn retries_follow_the_engine_and_compensations_never_give_up() {
    let policy = Policy::default();
    let machine = definition(&policy);
    for state in ["Bill", "Dispatch", "Compensate"] {
        // An outcome is final: the first retrier, which Step Functions reads first, allows none.
        let outcomes = &machine["States"][state]["Retry"][0];
        assert_eq!(outcomes["ErrorEquals"], serde_json::json!(checkout_asl::contract::OUTCOMES), "{state}");
        assert_eq!(outcomes["MaxAttempts"], 0, "{state}");
        let last = machine["States"][state]["Retry"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["ErrorEquals"], serde_json::json!(["States.ALL"]), "{state}");
    }
    // A courier answer the checkout refused is never retried: an endless retry is for the notice.
    let refused = &machine["States"]["Dispatch"]["Retry"][1];
    assert_eq!(refused["ErrorEquals"], serde_json::json!([checkout_asl::contract::BAD_ANSWER]));
    assert_eq!(refused["MaxAttempts"], 0);
    let bill = &machine["States"]["Bill"]["Retry"][1];
    assert_eq!(bill["MaxAttempts"], policy.max_attempts - 1);
    assert_eq!(bill["MaxDelaySeconds"], policy.forward.cap_ms.div_ceil(1000));
    assert_eq!(machine["States"]["Compensate"]["Retry"][1]["MaxAttempts"], checkout_asl::machine::ENDLESS);
    // The notice is past the point of no return: Dispatch never runs out of retries.
    let dispatch = &machine["States"]["Dispatch"]["Retry"][2];
    assert_eq!(dispatch["MaxAttempts"], checkout_asl::machine::ENDLESS);
    assert_eq!(dispatch["MaxDelaySeconds"], policy.notice.cap_ms.div_ceil(1000));
    assert_eq!(machine["States"]["WaitForCourier"]["TimeoutSeconds"], 900, "the courier deadline");
}

fn statements(template: &Value) -> Vec<Value> {
    let mut found = Vec::new();
    for resource in template["Resources"].as_object().unwrap().values() {
        for policy in resource["Properties"]["Policies"].as_array().into_iter().flatten() {
            found.extend(policy["PolicyDocument"]["Statement"].as_array().unwrap().iter().cloned());
        }
    }
    found
}

#[test]
fn no_role_may_do_everything_or_act_on_everything() {
    let template = checkout_asl::template::template("checkout");
    let all = statements(&template);
    assert!(all.len() >= 6, "{all:?}");
    for statement in all {
        let text = statement.to_string();
        assert!(!text.contains('*'), "a wildcard in {text}");
        assert!(statement["Resource"] != Value::Null, "{text}");
    }
    let roles = ["StepRole", "CourierRole", "StateMachineRole"];
    for role in roles {
        assert_eq!(template["Resources"][role]["Type"], "AWS::IAM::Role", "{role}");
    }
}

/// The courier queue, its function and the trigger between them, as deployed, cannot part:
/// AWS refuses (at `sam deploy`) an event source mapping whose queue hides a message for less
/// than the function may run, and recommends six times; the function answers `batchItemFailures`,
/// which SQS reads only with partial batch responses on (else a failed answer is deleted with its
/// batch and never dead-lettered); and it sends heartbeats only for the request it is on, so a
/// batch must not hold a second request waiting its turn. (Before: visibility 30 s under a 60 s
/// function, no partial batch responses, batches of 10.)
#[test]
fn the_courier_queue_trigger_and_function_agree() {
    let template = checkout_asl::template::template("checkout");
    let resources = &template["Resources"];
    let visibility = resources["CourierQueue"]["Properties"]["VisibilityTimeout"].as_u64().unwrap();
    let function = &resources["CourierFunction"]["Properties"];
    let timeout = function["Timeout"].as_u64().unwrap();
    assert!(visibility >= 6 * timeout, "visibility {visibility} s under six times the function's {timeout} s");
    let trigger = &function["Events"]["CourierRequests"]["Properties"];
    assert_eq!(trigger["FunctionResponseTypes"], serde_json::json!(["ReportBatchItemFailures"]));
    assert_eq!(trigger["BatchSize"], 1, "each waiting request gets heartbeats from its first moment");
}

/// The message `WaitForCourier` puts on the queue names exactly the fields the courier worker
/// reads (`CourierMessage`, shared with the worker): a field renamed on one side fails here, not
/// on AWS.
#[test]
fn the_courier_message_the_machine_sends_is_the_one_the_worker_reads() {
    let machine = definition(&Policy::default());
    let body = machine["States"]["WaitForCourier"]["Parameters"]["MessageBody"].as_object().unwrap();
    let mut sent: Vec<&str> = body.keys().map(|key| key.trim_end_matches(".$")).collect();
    sent.sort_unstable();
    let sample = serde_json::json!({
        "taskToken": "t", "waitToken": "w", "deadlineMs": 1,
        "order": { "orderId": "o-1", "bookId": "b-1", "userId": "u-1", "quantity": 1 },
    });
    let read: checkout_asl::contract::CourierMessage = serde_json::from_value(sample).unwrap();
    let read = serde_json::to_value(read).unwrap();
    let mut fields: Vec<&str> = read.as_object().unwrap().keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(sent, fields);
}

/// Each deploy publishes a version and moves the alias to it, and clients are handed the alias:
/// an execution keeps the version it started on whatever a later deploy changes.
#[test]
fn executions_start_through_an_alias_each_deploy_moves_to_its_version() {
    let template = checkout_asl::template::template("checkout");
    let machine = &template["Resources"]["CheckoutStateMachine"]["Properties"];
    assert_eq!(machine["AutoPublishAlias"], checkout_asl::template::ALIAS);
    let alias = format!("CheckoutStateMachineAlias{}", checkout_asl::template::ALIAS);
    assert_eq!(template["Outputs"]["StateMachineAliasArn"]["Value"]["Ref"], alias.as_str());
}
