//! Checks both models in every scenario and gathers what the proofs document and the tests
//! need: one [`ScenarioResult`] per model and scenario, from one pass of the checker each, plus
//! the shortest traces worth showing.

use std::fmt::Write;
use std::hash::Hash;

use serde_json::Value;
use stateright::Expectation;

use crate::audit::Audited;
use crate::audit::{Invariant, INVARIANTS};
use crate::check::{explore, Exploration};
use crate::flaw::Flaw;
use crate::reference::ReferenceModel;
use crate::routing::{self, RoutingVerdict};
use crate::saga::{SagaModel, Weakness};
use crate::scenario::Scenario;
use crate::trace::{shortest_trace, Narrated, Trace};

/// What the checker found for one invariant in one scenario.
#[derive(Clone, Debug)]
pub struct Verdict {
    pub invariant: &'static Invariant,
    /// A counterexample (for always and eventually) or an example (for sometimes) exists.
    pub discovered: bool,
    /// A shortest counterexample or example, when one was asked for.
    pub trace: Option<Trace>,
    /// For a property that exposes a reference flaw: a shortest counterexample in which that
    /// flaw's own code does the damage (the shortest overall may go through another flaw).
    pub flaw_trace: Option<Trace>,
}

impl Verdict {
    /// Whether the invariant holds: no counterexample, or for "sometimes", an example exists.
    pub fn holds(&self) -> bool {
        match self.invariant.expectation {
            Expectation::Sometimes => self.discovered,
            _ => !self.discovered,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ScenarioResult {
    pub scenario: Scenario,
    pub exploration: Exploration,
    pub verdicts: Vec<Verdict>,
}

impl ScenarioResult {
    /// One line for test output and the binary: the model, scenario, states, depth and time.
    pub fn report_line(&self, model: &str) -> String {
        let e = &self.exploration;
        format!(
            "{model:9} | {:24} | {:9} unique states | depth {:2} | {:8.3} s | {:9.0} states/s",
            self.scenario.name,
            e.unique_states,
            e.max_depth,
            e.elapsed.as_secs_f64(),
            e.unique_states as f64 / e.elapsed.as_secs_f64().max(1e-9)
        )
    }

    pub fn verdict(&self, name: &str) -> &Verdict {
        self.verdicts.iter().find(|v| v.invariant.name == name).expect("every invariant has a verdict")
    }
}

/// Which traces to search for after the checker has given its verdicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Traces {
    /// Counterexamples to every invariant that fails (the reference).
    Counterexamples,
    /// Examples for the "sometimes" properties (our saga, whose invariants hold).
    Examples,
    /// None: only the verdicts.
    None,
}

/// Checks one model in one scenario: every invariant's verdict, and the traces asked for.
pub fn check<M>(model: &M, scenario: &Scenario, traces: Traces) -> ScenarioResult
where
    M: Narrated,
    M::State: Clone + Hash + Eq,
    M::Action: Clone,
{
    let exploration = explore(model);
    let verdicts = INVARIANTS
        .iter()
        .zip(&exploration.discovered)
        .map(|(invariant, &discovered)| {
            let wanted = match (traces, &invariant.expectation) {
                (Traces::Counterexamples, Expectation::Sometimes) => false,
                (Traces::Counterexamples, _) => discovered,
                (Traces::Examples, Expectation::Sometimes) => discovered,
                _ => false,
            };
            let find = |through_flaw: Option<Flaw>| {
                shortest_trace(model, |state, terminal| {
                    let audit = model.audit(state);
                    let ok = (invariant.holds)(&audit);
                    let shows = match invariant.expectation {
                        Expectation::Always => !ok,
                        Expectation::Eventually => terminal && !ok,
                        Expectation::Sometimes => ok,
                    };
                    shows && through_flaw.is_none_or(|f| audit.went_through_flaw(f))
                })
            };
            let trace = if wanted { find(None) } else { None };
            let flaw_trace = match (traces, invariant.exposes_flaw) {
                (Traces::Counterexamples, Some(flaw)) if discovered => find(Some(flaw)),
                _ => None,
            };
            Verdict { invariant, discovered, trace, flaw_trace }
        })
        .collect();
    ScenarioResult { scenario: scenario.clone(), exploration, verdicts }
}

/// What switching one protection off did, in the scenario whose faults it guards against.
#[derive(Clone, Debug)]
pub struct Protection {
    pub weakness: Weakness,
    pub result: ScenarioResult,
    /// A shortest run that breaks the property the protection guards.
    pub trace: Option<Trace>,
}

impl Protection {
    fn check(weakness: Weakness) -> Protection {
        let scenario = weakness.scenario();
        let model = SagaModel::weakened(scenario.clone(), Some(weakness));
        let result = check(&model, &scenario, Traces::None);
        let invariant = result.verdict(weakness.breaks()).invariant;
        let trace = shortest_trace(&model, |state, _| !(invariant.holds)(&model.audit(state)));
        Protection { weakness, result, trace }
    }

    /// The properties that fail with the protection off (leaving out the "sometimes" ones).
    pub fn broken(&self) -> Vec<&'static str> {
        self.result
            .verdicts
            .iter()
            .filter(|v| v.invariant.expectation != Expectation::Sometimes && !v.holds())
            .map(|v| v.invariant.name)
            .collect()
    }
}

/// The outcome of checking both models in every scenario.
#[derive(Clone, Debug)]
pub struct Proofs {
    pub ours: Vec<ScenarioResult>,
    /// The generated Step Functions state machine, and corrupted copies of it.
    pub routing: RoutingProof,
    /// The reference, in the scenarios it has the parts for (see [`Scenario::is_hostile`]).
    pub reference: Vec<ScenarioResult>,
    /// Each of our protections switched off in turn.
    pub protections: Vec<Protection>,
}

impl Proofs {
    /// Whether our saga passes: every always/eventually property holds in every scenario, and
    /// every sometimes property has an example in at least one scenario.
    pub fn ours_pass(&self) -> bool {
        self.routing.generated.broken.is_empty()
            && INVARIANTS.iter().enumerate().all(|(i, invariant)| match invariant.expectation {
                Expectation::Sometimes => self.ours.iter().any(|r| r.verdicts[i].holds()),
                _ => self.ours.iter().all(|r| r.verdicts[i].holds()),
            })
    }

    /// Checks every scenario, both models, and each protection switched off, spread over the
    /// machine's cores.
    pub fn run() -> Proofs {
        enum Job<'a> {
            Ours(&'a Scenario),
            Reference(&'a Scenario),
            Weakened(Weakness),
        }
        enum Done {
            Checked(ScenarioResult),
            Weakened(Protection),
        }
        let scenarios = Scenario::all();
        // The largest scenarios come last in the list; starting them first keeps both cores busy.
        let mut jobs: Vec<Job> = scenarios
            .iter()
            .rev()
            .flat_map(|s| [Some(Job::Ours(s)), (!s.is_hostile()).then_some(Job::Reference(s))])
            .flatten()
            .collect();
        jobs.extend(Weakness::ALL.map(Job::Weakened));
        let results = parallel_map(&jobs, |job| match job {
            Job::Ours(scenario) => {
                let traces = if scenario.show_traces { Traces::Examples } else { Traces::None };
                Done::Checked(check(&SagaModel::new((*scenario).clone()), scenario, traces))
            }
            Job::Reference(scenario) => {
                Done::Checked(check(&ReferenceModel::new((*scenario).clone()), scenario, Traces::Counterexamples))
            }
            Job::Weakened(weakness) => Done::Weakened(Protection::check(*weakness)),
        });
        let routing = RoutingProof::run();
        let mut proofs = Proofs { ours: Vec::new(), routing, reference: Vec::new(), protections: Vec::new() };
        for (job, done) in jobs.iter().zip(results).rev() {
            match (job, done) {
                (Job::Ours(_), Done::Checked(r)) => proofs.ours.push(r),
                (Job::Reference(_), Done::Checked(r)) => proofs.reference.push(r),
                (_, Done::Weakened(p)) => proofs.protections.push(p),
                _ => unreachable!("each job gives its own kind of result"),
            }
        }
        proofs.protections.reverse();
        proofs
    }

    /// One line per model and scenario: states, depth and time, for test output and the binary.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        for (model, results) in [("ours", &self.ours), ("reference", &self.reference)] {
            for r in results {
                let failing: Vec<_> = r.verdicts.iter().filter(|v| !v.holds()).map(|v| v.invariant.name).collect();
                let failing = if failing.is_empty() { "none".to_string() } else { failing.join(", ") };
                let _ = writeln!(out, "{} | failing: {failing}", r.report_line(model));
            }
        }
        for (name, faults, verdict) in self.routing.rows() {
            let failing = if verdict.broken.is_empty() { "none".to_string() } else { verdict.broken.join(", ") };
            let _ = writeln!(
                out,
                "routing   | {name} | {faults} faults | {:9} unique states | failing: {failing}",
                verdict.unique_states
            );
        }
        for p in &self.protections {
            let _ = writeln!(
                out,
                "{} | switched off: {:?} | failing: {}",
                p.result.report_line("weakened"),
                p.weakness,
                p.broken().join(", ")
            );
        }
        out
    }
}

/// The generated state machine checked, and each corruption of it (see [`crate::routing`]).
#[derive(Clone, Debug)]
pub struct RoutingProof {
    pub generated: RoutingVerdict,
    /// Each corruption: its name, the faults per run it was checked with, the properties it
    /// should break, and what the checker found.
    pub corruptions: Vec<(&'static str, u8, &'static [&'static str], RoutingVerdict)>,
}

impl RoutingProof {
    /// Checks the committed definition and each corruption of it, on the machine's cores.
    pub fn run() -> RoutingProof {
        let definition = routing::generated().expect("deploy/checkout.asl.json is readable JSON");
        let corruptions = crate::corruption::corruptions();
        let mut jobs: Vec<(Value, u8, bool)> = vec![(definition.clone(), routing::FAULTS, false)];
        jobs.extend(corruptions.iter().map(|c| (c.apply(&definition), c.faults, c.notice_gives_up)));
        let mut verdicts = parallel_map(&jobs, |(definition, faults, notice_gives_up)| {
            routing::check(definition, *faults, *notice_gives_up).expect("the model reads the generated definition")
        })
        .into_iter();
        let generated = verdicts.next().expect("one verdict per job");
        let corruptions = corruptions.iter().zip(verdicts).map(|(c, v)| (c.name, c.faults, c.breaks, v)).collect();
        RoutingProof { generated, corruptions }
    }

    /// (what was checked, faults per run, verdict), the generated definition first.
    pub fn rows(&self) -> Vec<(String, u8, &RoutingVerdict)> {
        let mut rows = vec![("`deploy/checkout.asl.json`, as generated".to_string(), routing::FAULTS, &self.generated)];
        rows.extend(self.corruptions.iter().map(|(name, faults, _, v)| (format!("corrupted: {name}"), *faults, v)));
        rows
    }
}

/// Maps `f` over `items` on as many threads as the machine has cores, keeping their order.
pub fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(items.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<R>>> = items.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let result = f(item);
                *results[i].lock().expect("no thread panics while holding it") = Some(result);
            });
        }
    });
    results.into_iter().map(|m| m.into_inner().expect("not poisoned").expect("every item was mapped")).collect()
}
