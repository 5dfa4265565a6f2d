//! The reference flow, checked by the same properties: each of its flaws yields a
//! counterexample in which that flaw's own code does the damage.

use checkout_model::audit::INVARIANTS;
use checkout_model::proof::{check, Traces};
use checkout_model::reference::ReferenceModel;
use checkout_model::scenario::Scenario;

#[test]
fn each_reference_flaw_has_a_counterexample() {
    let results: Vec<_> = Scenario::all()
        .into_iter()
        .map(|scenario| {
            let result = check(ReferenceModel::new(scenario.clone()), &scenario, Traces::Counterexamples);
            println!("{}", result.report_line("reference"));
            result
        })
        .collect();
    for flaw in 1..=7u8 {
        let invariant = INVARIANTS.iter().find(|i| i.exposes_flaw == Some(flaw)).expect("mapped");
        let trace = results
            .iter()
            .find_map(|r| r.verdict(invariant.name).flaw_trace.clone())
            .unwrap_or_else(|| panic!("flaw {flaw}: no counterexample to {:?} in any scenario", invariant.name));
        let (_, last) = trace.steps.last().expect("a counterexample has steps");
        assert!(!(invariant.holds)(last) || invariant.name == "every checkout terminates");
        assert!(last.went_through_flaw(flaw), "flaw {flaw}: the counterexample must run the flawed code");
    }
}
