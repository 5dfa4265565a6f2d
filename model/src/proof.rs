//! Runs the model checker over every scenario, for our saga and for the reference flow, and
//! renders the result as the proofs document (`docs/proofs.md`). The document is generated only
//! from here; a test compares the committed copy with a fresh rendering.
//!
//! Verdicts come from stateright's breadth-first checker, which explores every reachable state.
//! The traces shown are found by a separate deterministic breadth-first search, so each is a
//! shortest one and the document is the same on every run.

use std::collections::{HashMap, VecDeque};
use std::fmt::{Debug, Write};
use std::hash::Hash;
use std::time::{Duration, Instant};

use stateright::{Checker, Expectation};

use crate::audit::{copies, Audit, Audited, Invariant, INVARIANTS};
use crate::scenario::Scenario;

/// Who does something in a trace step; the participants of the sequence diagrams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    Orchestrator,
    Stores,
    Queue,
    Worker,
    Outside,
}

impl Actor {
    fn id(self) -> &'static str {
        match self {
            Actor::Orchestrator => "O",
            Actor::Stores => "S",
            Actor::Queue => "Q",
            Actor::Worker => "W",
            Actor::Outside => "X",
        }
    }
}

/// One step of a trace, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub from: Actor,
    pub to: Actor,
    pub text: String,
}

/// A model whose steps can be told in words.
pub trait Narrated: Audited {
    fn narrate(&self, before: &Self::State, action: &Self::Action, after: &Self::State) -> Step;
}

/// A run of a model, step by step, with the audited world after each step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    pub steps: Vec<(Step, Audit)>,
}

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
    pub unique_states: usize,
    pub max_depth: usize,
    pub verdicts: Vec<Verdict>,
    pub elapsed: Duration,
}

impl ScenarioResult {
    /// One line for test output and the binary: the model, scenario, states, depth and time.
    pub fn report_line(&self, model: &str) -> String {
        format!(
            "{model:9} | {:24} | {:7} unique states | depth {:2} | {:8.3} s",
            self.scenario.name,
            self.unique_states,
            self.max_depth,
            self.elapsed.as_secs_f64()
        )
    }

    pub fn verdict(&self, name: &str) -> &Verdict {
        self.verdicts.iter().find(|v| v.invariant.name == name).expect("every invariant has a verdict")
    }
}

/// Finds a shortest path from an initial state to a state satisfying `goal` (which is also told
/// whether the state has no successors), by breadth-first search in the model's action order.
pub fn shortest_trace<M>(model: &M, goal: impl Fn(&M::State, bool) -> bool) -> Option<Trace>
where
    M: Narrated,
    M::State: Clone + Hash + Eq,
    M::Action: Clone,
{
    let mut states: Vec<M::State> = Vec::new();
    let mut parent: Vec<Option<(usize, M::Action)>> = Vec::new();
    let mut seen: HashMap<M::State, usize> = HashMap::new();
    let mut queue = VecDeque::new();
    for init in model.init_states() {
        if !seen.contains_key(&init) {
            seen.insert(init.clone(), states.len());
            queue.push_back(states.len());
            states.push(init);
            parent.push(None);
        }
    }
    while let Some(index) = queue.pop_front() {
        let steps = model.next_steps(&states[index]);
        if goal(&states[index], steps.is_empty()) {
            let mut path = Vec::new();
            let mut at = index;
            while let Some((from, action)) = parent[at].clone() {
                path.push((from, action, at));
                at = from;
            }
            path.reverse();
            let steps = path
                .into_iter()
                .map(|(from, action, to)| {
                    (model.narrate(&states[from], &action, &states[to]), model.audit(&states[to]))
                })
                .collect();
            return Some(Trace { steps });
        }
        for (action, next) in steps {
            if !seen.contains_key(&next) {
                seen.insert(next.clone(), states.len());
                queue.push_back(states.len());
                states.push(next);
                parent.push(Some((index, action)));
            }
        }
    }
    None
}

/// Which traces to search for after the checker has given its verdicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Traces {
    /// Counterexamples to every invariant that fails (the reference).
    Counterexamples,
    /// Examples for the "sometimes" properties (our saga, whose invariants hold).
    Examples,
}

/// Checks one model in one scenario: every invariant's verdict, and the traces asked for.
pub fn check<M>(model: M, scenario: &Scenario, traces: Traces) -> ScenarioResult
where
    M: Narrated + Send + Sync + 'static,
    M::State: Clone + Debug + Hash + Eq + Send + Sync + 'static,
    M::Action: Clone + Debug + PartialEq + Send + Sync + 'static,
{
    let started = Instant::now();
    let checker = model.checker().spawn_bfs().join();
    let discoveries = checker.discoveries();
    let model = checker.model();
    let verdicts = INVARIANTS
        .iter()
        .map(|invariant| {
            let discovered = discoveries.contains_key(invariant.name);
            let wanted = match (traces, &invariant.expectation) {
                (Traces::Counterexamples, Expectation::Sometimes) => false,
                (Traces::Counterexamples, _) => discovered,
                (Traces::Examples, Expectation::Sometimes) => discovered,
                (Traces::Examples, _) => false,
            };
            let find = |through_flaw: Option<u8>| {
                let holds = invariant.holds;
                let expectation = invariant.expectation.clone();
                shortest_trace(model, move |state, terminal| {
                    let audit = model.audit(state);
                    let ok = holds(&audit);
                    let shows = match expectation {
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
    ScenarioResult {
        scenario: scenario.clone(),
        unique_states: checker.unique_state_count(),
        max_depth: checker.max_depth(),
        verdicts,
        elapsed: started.elapsed(),
    }
}

/// The outcome of checking both models in every scenario.
#[derive(Clone, Debug)]
pub struct Proofs {
    pub ours: Vec<ScenarioResult>,
    pub reference: Vec<ScenarioResult>,
}

impl Proofs {
    /// Whether our saga passes: every always/eventually property holds in every scenario, and
    /// every sometimes property has an example in at least one scenario.
    pub fn ours_pass(&self) -> bool {
        INVARIANTS.iter().enumerate().all(|(i, invariant)| match invariant.expectation {
            Expectation::Sometimes => self.ours.iter().any(|r| r.verdicts[i].holds()),
            _ => self.ours.iter().all(|r| r.verdicts[i].holds()),
        })
    }

    pub fn run() -> Proofs {
        let scenarios = Scenario::all();
        let ours =
            scenarios.iter().map(|s| check(crate::saga::SagaModel::new(s.clone()), s, Traces::Examples)).collect();
        let reference = scenarios
            .iter()
            .map(|s| check(crate::reference::ReferenceModel::new(s.clone()), s, Traces::Counterexamples))
            .collect();
        Proofs { ours, reference }
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
        out
    }

    /// The proofs document, in Markdown.
    pub fn render(&self) -> String {
        let mut md = String::new();
        render_document(&mut md, self).expect("writing to a String cannot fail");
        md
    }
}

const FLAWS: &[(u8, &str)] = &[
    (1, "stock is checked at the inventory step but taken later by the courier worker, so two orders can both pass the check and oversell"),
    (2, "when courier preparation fails, stock is \"restored\" even if it was never taken"),
    (3, "points are restored by writing the redeemed amount over the balance instead of adding it back"),
    (4, "the refund step does nothing"),
    (5, "billing is retried with no idempotency key, so a retry after a lost reply charges twice"),
    (6, "the wait for the courier worker's callback has no timeout, so one lost reply hangs the checkout"),
    (7, "availability is `stock - quantity > 0`, so the last copy can never be sold"),
];

fn verdict_word(v: &Verdict) -> &'static str {
    match (v.holds(), &v.invariant.expectation) {
        (true, Expectation::Sometimes) => "example found",
        (false, Expectation::Sometimes) => "not reachable here",
        (true, _) => "holds",
        (false, _) => "VIOLATED",
    }
}

fn kind(invariant: &Invariant) -> &'static str {
    match invariant.expectation {
        Expectation::Always => "always",
        Expectation::Eventually => "eventually",
        Expectation::Sometimes => "sometimes",
    }
}

fn world(audit: &Audit) -> String {
    let orders: Vec<String> = audit
        .orders
        .iter()
        .map(|o| {
            format!(
                "{}: {:?}, holds {}, {} points, {} charged",
                o.order,
                o.status,
                copies(o.held.stock_taken),
                o.held.points_taken,
                o.held.charged
            )
        })
        .collect();
    format!("stock {}, points {}; {}", audit.stock, audit.points, orders.join("; "))
}

fn render_trace(md: &mut String, trace: &Trace) -> std::fmt::Result {
    writeln!(md, "| # | step | world after the step |")?;
    writeln!(md, "|---|------|----------------------|")?;
    for (i, (step, audit)) in trace.steps.iter().enumerate() {
        writeln!(md, "| {} | {} | {} |", i + 1, step.text, world(audit))?;
    }
    writeln!(md)?;
    writeln!(md, "```mermaid")?;
    writeln!(md, "sequenceDiagram")?;
    for (actor, name) in [
        (Actor::Outside, "Outside world"),
        (Actor::Orchestrator, "Orchestrator"),
        (Actor::Stores, "Stock, points, payments"),
        (Actor::Queue, "Courier queue"),
        (Actor::Worker, "Courier worker"),
    ] {
        writeln!(md, "    participant {} as {}", actor.id(), name)?;
    }
    for (i, (step, _)) in trace.steps.iter().enumerate() {
        let text = step.text.replace([';', '#', '`'], " ");
        writeln!(md, "    {}->>{}: {}. {}", step.from.id(), step.to.id(), i + 1, text)?;
    }
    writeln!(md, "```")?;
    writeln!(md)
}

fn render_scenario_table(md: &mut String, results: &[ScenarioResult]) -> std::fmt::Result {
    write!(md, "| property |")?;
    for r in results {
        write!(md, " {} |", r.scenario.name)?;
    }
    writeln!(md)?;
    write!(md, "|---|")?;
    for _ in results {
        write!(md, "---|")?;
    }
    writeln!(md)?;
    for (i, invariant) in INVARIANTS.iter().enumerate() {
        write!(md, "| {} ({}) |", invariant.name, kind(invariant))?;
        for r in results {
            write!(md, " {} |", verdict_word(&r.verdicts[i]))?;
        }
        writeln!(md)?;
    }
    write!(md, "| unique states explored |")?;
    for r in results {
        write!(md, " {} |", r.unique_states)?;
    }
    writeln!(md)?;
    write!(md, "| deepest path (steps) |")?;
    for r in results {
        write!(md, " {} |", r.max_depth)?;
    }
    writeln!(md)?;
    writeln!(md)
}

/// The shortest trace `pick` gives for a property across scenarios, with its scenario.
fn shortest<'a>(
    results: &'a [ScenarioResult],
    name: &str,
    pick: fn(&Verdict) -> Option<&Trace>,
) -> Option<(&'a ScenarioResult, &'a Trace)> {
    results.iter().filter_map(|r| pick(r.verdict(name)).map(|t| (r, t))).min_by_key(|(_, t)| t.steps.len())
}

fn steps(n: usize) -> String {
    if n == 1 {
        "1 step".to_string()
    } else {
        format!("{n} steps")
    }
}

fn any_trace(v: &Verdict) -> Option<&Trace> {
    v.trace.as_ref()
}

fn flaw_trace(v: &Verdict) -> Option<&Trace> {
    v.flaw_trace.as_ref()
}

fn render_document(md: &mut String, proofs: &Proofs) -> std::fmt::Result {
    writeln!(md, "# Proofs of the checkout saga's invariants")?;
    writeln!(md)?;
    writeln!(
        md,
        "Generated by `cargo run -p checkout-model --release --bin prove`; do not edit by hand. \
         `cargo test` fails when this file differs from what that command writes now."
    )?;
    writeln!(md)?;
    writeln!(md, "## How the proof works")?;
    writeln!(md)?;
    writeln!(
        md,
        "A model checker (stateright) explores every state two models can reach, breadth first, \
         and checks each property below in every one of them. Our model moves each checkout only \
         through the domain crate's own transition methods and the keyed stores it ships, so what is \
         checked is the shipped logic. The reference model is the Step Functions study project as it \
         is written. Both run in the same scenarios and are judged by the same properties."
    )?;
    writeln!(md)?;
    writeln!(
        md,
        "In every scenario the environment may, within a budget, make any remote call fail before it \
         takes effect, take effect and lose its reply, or fail for good; crash the orchestrator before or \
         after an effect (it restarts from the persisted checkout, forgetting retry counts and sent \
         requests); lose or duplicate a queue message or a worker reply; make the courier worker fail; \
         let the courier deadline pass while the worker is busy; and credit the customer points from \
         outside. The checker tries every placement of these faults."
    )?;
    writeln!(md)?;
    writeln!(
        md,
        "What is not explored: more faults than a scenario's budget; more orders than its list; and a \
         call to a store overtaken by the next step of the same checkout (each call completes, or is \
         lost, before the orchestrator moves on). A take that arrives after its own give-back is \
         refused by the stores' tombstones, which the domain crate's tests cover."
    )?;
    writeln!(md)?;
    writeln!(md, "## The properties")?;
    writeln!(md)?;
    writeln!(md, "| property | kind | what it says |")?;
    writeln!(md, "|---|---|---|")?;
    for invariant in INVARIANTS {
        writeln!(md, "| {} | {} | {} |", invariant.name, kind(invariant), invariant.statement)?;
    }
    writeln!(md)?;
    writeln!(
        md,
        "*Always* holds in every reachable state. *Eventually* holds at the end of every run (every \
         run is finite: each step uses up a bounded budget or moves a checkout forward, and a checkout \
         never moves back). *Sometimes* holds in at least one reachable state, which shows the model \
         does reach the situations the other properties speak about."
    )?;
    writeln!(md)?;
    writeln!(md, "## The scenarios")?;
    writeln!(md)?;
    for r in &proofs.ours {
        writeln!(md, "- **{}**: {}.", r.scenario.name, r.scenario.summary())?;
    }
    writeln!(md)?;
    writeln!(md, "## Our saga")?;
    writeln!(md)?;
    render_scenario_table(md, &proofs.ours)?;
    for name in ["some checkout is compensated after billing", "some checkout is compensated after redeeming points"] {
        if let Some((r, trace)) = shortest(&proofs.ours, name, any_trace) {
            writeln!(md, "### Example: {name} (scenario: {})", r.scenario.name)?;
            writeln!(md)?;
            render_trace(md, trace)?;
        }
    }
    writeln!(md, "## The reference flow")?;
    writeln!(md)?;
    render_scenario_table(md, &proofs.reference)?;
    writeln!(md, "### Each flaw, and the shortest run that shows it")?;
    writeln!(md)?;
    for (flaw, words) in FLAWS {
        let invariant = INVARIANTS.iter().find(|i| i.exposes_flaw == Some(*flaw)).expect("every flaw has a property");
        writeln!(md, "#### Flaw {flaw}: {words}")?;
        writeln!(md)?;
        match shortest(&proofs.reference, invariant.name, flaw_trace) {
            Some((r, trace)) => {
                writeln!(
                    md,
                    "Property **{}** fails in scenario *{}* after {}:",
                    invariant.name,
                    r.scenario.name,
                    steps(trace.steps.len())
                )?;
                writeln!(md)?;
                render_trace(md, trace)?;
                if invariant.expectation == Expectation::Eventually {
                    writeln!(
                        md,
                        "After the last step nothing is left that can happen, yet a checkout is still in \
                         progress: it waits forever.\n"
                    )?;
                }
            }
            None => writeln!(md, "Property **{}** found no counterexample in these scenarios.\n", invariant.name)?,
        }
    }
    writeln!(md, "### The shortest counterexample to each property the reference breaks")?;
    writeln!(md)?;
    for invariant in INVARIANTS.iter().filter(|i| i.expectation != Expectation::Sometimes) {
        let Some((r, trace)) = shortest(&proofs.reference, invariant.name, any_trace) else { continue };
        let shown_above = shortest(&proofs.reference, invariant.name, flaw_trace);
        writeln!(md, "#### {} (scenario: {}, {})", invariant.name, r.scenario.name, steps(trace.steps.len()))?;
        writeln!(md)?;
        match (shown_above, invariant.exposes_flaw) {
            (Some((above, shown)), Some(flaw)) if above.scenario.name == r.scenario.name && shown == trace => {
                writeln!(md, "The run shown for flaw {flaw} above.\n")?;
            }
            _ => render_trace(md, trace)?,
        }
    }
    Ok(())
}
