//! The proofs, checked once: the model checker runs over every scenario for both models a single
//! time, and every assertion below reads that one result — our saga's properties, the
//! reference's flaws, finiteness, the generated state machine and its corrupted copies, and that
//! docs/proofs.md is what the `prove` binary writes now.

use std::path::Path;
use std::sync::OnceLock;

use checkout_model::audit::{exposing, INVARIANTS};
use checkout_model::flaw::Flaw;
use checkout_model::proofs::Proofs;
use checkout_model::render::without_times;
use stateright::Expectation;

fn proofs() -> &'static Proofs {
    static PROOFS: OnceLock<Proofs> = OnceLock::new();
    PROOFS.get_or_init(|| {
        let proofs = Proofs::run();
        print!("{}", proofs.summary());
        proofs
    })
}

#[test]
fn our_saga_satisfies_every_property_in_every_scenario() {
    let proofs = proofs();
    for result in &proofs.ours {
        assert!(result.exploration.unique_states > 1000, "{}: a real state space", result.scenario.name);
        for verdict in &result.verdicts {
            if verdict.invariant.expectation != Expectation::Sometimes {
                assert!(
                    verdict.holds(),
                    "{}: property {:?} does not hold",
                    result.scenario.name,
                    verdict.invariant.name
                );
            }
        }
    }
    for (i, invariant) in INVARIANTS.iter().enumerate() {
        if invariant.expectation == Expectation::Sometimes {
            assert!(proofs.ours.iter().any(|r| r.verdicts[i].holds()), "no scenario reaches {:?}", invariant.name);
        }
    }
    assert!(proofs.ours_pass());
}

#[test]
fn the_generated_state_machine_keeps_every_property_and_each_corruption_breaks_its_own() {
    let routing = &proofs().routing;
    assert_eq!(routing.generated.broken, Vec::<&str>::new(), "the generated definition");
    assert_eq!(
        routing.generated.examples,
        ["a cancelled checkout's execution ends naming it compensated"],
        "a customer's cancel reaches a waiting execution"
    );
    assert!(routing.generated.unique_states > 10_000, "explored only {} states", routing.generated.unique_states);
    assert!(routing.corruptions.len() >= 6);
    for (name, _, breaks, verdict) in &routing.corruptions {
        assert_eq!(verdict.broken, *breaks, "{name}");
    }
}

#[test]
fn each_reference_flaw_has_a_counterexample_through_its_own_code() {
    for flaw in Flaw::ALL {
        let invariant = exposing(flaw);
        let trace = proofs()
            .reference
            .iter()
            .find_map(|r| r.verdict(invariant.name).flaw_trace.clone())
            .unwrap_or_else(|| panic!("flaw {flaw:?}: no counterexample to {:?} in any scenario", invariant.name));
        let (_, last) = trace.steps.last().expect("a counterexample has steps");
        assert!(!(invariant.holds)(last), "flaw {flaw:?}: the run ends with the property broken");
        assert!(last.went_through_flaw(flaw), "flaw {flaw:?}: the counterexample must run the flawed code");
    }
}

/// "Eventually" is judged where runs end, which is complete only if no run goes on forever.
#[test]
fn every_run_of_either_model_is_finite() {
    for (model, results) in [("ours", &proofs().ours), ("reference", &proofs().reference)] {
        for result in results {
            assert!(!result.exploration.cycle, "{model} / {}: a run could go on forever", result.scenario.name);
        }
    }
}

#[test]
fn committed_proofs_match_a_fresh_run() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/proofs.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let (committed, fresh) = (without_times(&committed), without_times(&proofs().render()));
    if committed != fresh {
        let line = committed
            .lines()
            .zip(fresh.lines())
            .position(|(a, b)| a != b)
            .map_or(committed.lines().count().min(fresh.lines().count()) + 1, |i| i + 1);
        panic!(
            "docs/proofs.md is stale (first difference at line {line}); regenerate it with \
             `cargo run -p checkout-model --release --bin prove` and commit the result"
        );
    }
}
