//! The checker can see what it claims to: each compensation, removed, breaks the property that
//! guards it; and the reductions that make the large scenarios fast change no verdict where the
//! scenario is small enough to check without them.

use checkout_domain::states::Compensation;
use checkout_model::proofs::{check, Traces};
use checkout_model::saga::{SagaModel, Weakness};
use checkout_model::scenario::Scenario;

/// Scenarios small enough to check with every reduction switched off.
fn small_scenarios() -> Vec<Scenario> {
    let two = Scenario { name: "two orders, small budget", faults: 1, crashes: 1, ..Scenario::two_orders() };
    let three = Scenario { name: "three orders, small budget", faults: 1, crashes: 0, ..Scenario::three_orders() };
    vec![Scenario::last_copy(), Scenario::single_order(), two, three]
}

fn verdicts(model: &SagaModel, scenario: &Scenario) -> (Vec<bool>, usize, bool) {
    let result = check(model, scenario, Traces::None);
    let holds = result.verdicts.iter().map(|v| v.holds()).collect();
    (holds, result.exploration.unique_states, result.exploration.cycle)
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
        let model = SagaModel::with_sabotaged(scenario.clone(), compensation);
        let result = check(&model, &scenario, Traces::None);
        assert!(!result.verdict(property).holds(), "without {compensation:?} the property {property:?} should fail");
    }
}

/// Every verdict, for our saga and for each sabotaged copy of it, is the same with and without
/// the reductions, and the reductions do shrink the state space.
#[test]
fn reductions_keep_every_verdict() {
    for scenario in small_scenarios() {
        let variants =
            [None, Some(Compensation::Refund), Some(Compensation::RestorePoints), Some(Compensation::ReleaseStock)];
        for sabotaged in variants {
            let mut reduced = SagaModel::new(scenario.clone());
            reduced.sabotaged = sabotaged;
            let mut full = SagaModel::new(scenario.clone()).unreduced();
            full.sabotaged = sabotaged;
            let (reduced_verdicts, reduced_states, reduced_cycle) = verdicts(&reduced, &scenario);
            let (full_verdicts, full_states, full_cycle) = verdicts(&full, &scenario);
            println!(
                "{} / sabotaged {sabotaged:?}: {full_states} states unreduced, {reduced_states} reduced",
                scenario.name
            );
            assert_eq!(
                reduced_verdicts, full_verdicts,
                "{} / {sabotaged:?}: a reduction changed a verdict",
                scenario.name
            );
            assert_eq!(reduced_cycle, full_cycle);
            assert!(reduced_states < full_states, "{}: the reductions reduce", scenario.name);
        }
    }
}

/// The same for the hostile scenarios, with our saga and with each protection switched off.
#[test]
fn reductions_keep_every_verdict_under_hostile_faults() {
    for weakness in Weakness::ALL {
        let scenario = weakness.scenario();
        for weakened in [None, Some(weakness)] {
            let reduced = SagaModel::weakened(scenario.clone(), weakened);
            let full = SagaModel::weakened(scenario.clone(), weakened).unreduced();
            let (reduced_verdicts, reduced_states, reduced_cycle) = verdicts(&reduced, &scenario);
            let (full_verdicts, full_states, full_cycle) = verdicts(&full, &scenario);
            println!("{} / {weakened:?}: {full_states} states unreduced, {reduced_states} reduced", scenario.name);
            assert_eq!(
                reduced_verdicts, full_verdicts,
                "{} / {weakened:?}: a reduction changed a verdict",
                scenario.name
            );
            assert_eq!(reduced_cycle, full_cycle);
            assert!(reduced_states < full_states, "{}: the reductions reduce", scenario.name);
        }
    }
}

/// Each protection against the hostile faults (forged and misrouted courier replies, zombie
/// orchestrators, resubmitted orders, refused compensations), switched off, must break the
/// property that guards it in the scenario that has those faults; switched on, every property
/// holds there.
#[test]
fn switching_off_any_protection_breaks_its_property() {
    for weakness in Weakness::ALL {
        let scenario = weakness.scenario();
        let protected = check(&SagaModel::new(scenario.clone()), &scenario, Traces::None);
        let weakened = check(&SagaModel::weakened(scenario.clone(), Some(weakness)), &scenario, Traces::None);
        let broken: Vec<_> = weakened.verdicts.iter().filter(|v| !v.holds()).map(|v| v.invariant.name).collect();
        println!("{weakness:?} in {:?}: fails {broken:?}", scenario.name);
        assert!(protected.verdict(weakness.breaks()).holds(), "{weakness:?}: holds with the protection on");
        assert!(!weakened.verdict(weakness.breaks()).holds(), "{weakness:?}: {:?} must fail", weakness.breaks());
    }
}
