//! Our saga, checked in every scenario: every property holds, and each compensation is needed.

use checkout_domain::states::Compensation;
use checkout_model::audit::INVARIANTS;
use checkout_model::proof::{check, Traces};
use checkout_model::saga::SagaModel;
use checkout_model::scenario::Scenario;
use stateright::Expectation;

#[test]
fn our_saga_satisfies_every_property_in_every_scenario() {
    let mut examples_found = vec![false; INVARIANTS.len()];
    for scenario in Scenario::all() {
        let result = check(SagaModel::new(scenario.clone()), &scenario, Traces::Examples);
        println!("{}", result.report_line("ours"));
        assert!(result.unique_states > 1000, "the scenario explores a real state space");
        for (i, verdict) in result.verdicts.iter().enumerate() {
            match verdict.invariant.expectation {
                Expectation::Sometimes => examples_found[i] |= verdict.holds(),
                _ => assert!(verdict.holds(), "{}: property {:?} does not hold", scenario.name, verdict.invariant.name),
            }
        }
    }
    for (invariant, found) in INVARIANTS.iter().zip(examples_found) {
        if invariant.expectation == Expectation::Sometimes {
            assert!(found, "no scenario reaches {:?}", invariant.name);
        }
    }
}

/// Each compensation, replaced by a no-op that claims success, must break the property that
/// guards what it gives back. A model that stayed green here would prove nothing.
#[test]
fn removing_any_compensation_breaks_a_property() {
    let cases = [
        (Compensation::Refund, "money back on failure"),
        (Compensation::RestorePoints, "points restored exactly"),
        (Compensation::ReleaseStock, "stock back on failure"),
    ];
    for (compensation, property) in cases {
        let scenario = Scenario::single_order();
        let result = check(SagaModel::with_sabotaged(scenario.clone(), compensation), &scenario, Traces::Examples);
        assert!(
            !result.verdict(property).holds(),
            "without {compensation:?} the property {property:?} should fail but holds"
        );
    }
}

#[test]
fn every_invariant_is_checked() {
    let names: Vec<_> = INVARIANTS.iter().map(|i| i.name).collect();
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "invariant names are unique");
    for flaw in 1..=7 {
        assert!(INVARIANTS.iter().any(|i| i.exposes_flaw == Some(flaw)), "flaw {flaw} has a property");
    }
}
