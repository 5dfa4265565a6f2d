//! The generated state machine's routing, model-checked (see `checkout_model::routing`): the
//! committed definition keeps every property, and a definition corrupted in one place (a Catch
//! sent elsewhere, a timeout dropped) breaks one, with a counterexample.

use checkout_model::routing::RoutingModel;
use serde_json::Value;
use stateright::{Checker, Model};

fn generated() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/checkout.asl.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("deploy/checkout.asl.json")).expect("JSON")
}

/// The properties `definition` breaks, by name.
fn broken(definition: &Value) -> Vec<&'static str> {
    let checker = RoutingModel::new(definition).expect("a definition the model reads").checker().spawn_bfs().join();
    assert!(checker.unique_state_count() > 10, "the model explored {} states", checker.unique_state_count());
    let mut names: Vec<&'static str> = checker.discoveries().into_keys().collect();
    names.sort();
    names
}

#[test]
fn the_generated_machine_keeps_every_property() {
    let checker = RoutingModel::new(&generated()).unwrap().checker().spawn_bfs().join();
    checker.assert_properties();
    println!("routing: {} unique states, depth {}", checker.unique_state_count(), checker.max_depth());
}

#[test]
fn a_courier_failure_caught_to_the_wrong_end_is_found() {
    let mut corrupted = generated();
    // A wait that fails goes straight to "rejected", skipping the compensations.
    corrupted["States"]["WaitForCourier"]["Catch"][0]["Next"] = Value::from("Rejected");
    let broken = broken(&corrupted);
    assert!(broken.contains(&"a failed execution leaves nothing taken"), "{broken:?}");
}

#[test]
fn a_wait_without_a_timeout_is_found() {
    let mut corrupted = generated();
    corrupted["States"]["WaitForCourier"].as_object_mut().unwrap().remove("TimeoutSeconds");
    assert_eq!(broken(&corrupted), ["every execution ends"]);
}

#[test]
fn an_outcome_caught_to_the_wrong_fail_state_is_found() {
    let mut corrupted = generated();
    // Bill's "compensated" ends the execution as "rejected".
    let catches = corrupted["States"]["Bill"]["Catch"].as_array_mut().unwrap();
    let compensated = catches.iter_mut().find(|c| c["ErrorEquals"][0] == "Checkout.Compensated").unwrap();
    compensated["Next"] = Value::from("Rejected");
    assert_eq!(broken(&corrupted), ["an execution that fails names its checkout's end"]);
}

#[test]
fn a_compensation_that_crashes_and_is_not_retried_is_found() {
    let mut corrupted = generated();
    // Compensate retries only what the function reports as transient, as it first did: a
    // function that dies mid-way goes to the operator while the compensation is not done.
    corrupted["States"]["Compensate"]["Retry"] = serde_json::json!([{
        "ErrorEquals": ["Checkout.Retry", "Lambda.ServiceException"],
        "MaxAttempts": 99_999_999,
    }]);
    assert_eq!(broken(&corrupted), ["an execution that fails names its checkout's end"]);
}

#[test]
fn a_second_execution_for_a_dispatched_order_needs_its_catch() {
    let mut corrupted = generated();
    // Without it, an execution that finds its checkout dispatched by another (started under
    // another name) fails instead of succeeding.
    for state in ["Bill", "Compensate"] {
        let catches = corrupted["States"][state]["Catch"].as_array_mut().unwrap();
        catches.retain(|c| c["Next"] != "AlreadyDispatched");
    }
    assert_eq!(broken(&corrupted), ["an execution that fails names its checkout's end"]);
}

#[test]
fn a_compensation_that_ends_rejected_needs_its_catch() {
    let mut corrupted = generated();
    // A checkout given up on before it took anything, or an order refused at admission, ends
    // rejected; without its catch, Compensate hands it to an operator.
    let catches = corrupted["States"]["Compensate"]["Catch"].as_array_mut().unwrap();
    catches.retain(|c| c["Next"] != "Rejected");
    assert_eq!(broken(&corrupted), ["an execution that fails names its checkout's end"]);
}
