//! The proofs document (`docs/proofs.md`), rendered from [`Proofs`]. It is generated only from
//! here; a test compares the committed copy with a fresh rendering, ignoring only the row of
//! checking times.

use std::fmt::Write;

use stateright::Expectation;

use crate::audit::{copies, exposing, Audit, Invariant, INVARIANTS};
use crate::flaw::Flaw;
use crate::proofs::{Proofs, ScenarioResult, Verdict};
use crate::trace::{Actor, Trace};

/// The first cell of the row that holds the checking times, which differ on every run.
pub const TIMES_ROW: &str = "| checking time (this run) |";

impl Proofs {
    /// The proofs document, in Markdown.
    pub fn render(&self) -> String {
        let mut md = String::new();
        render_document(&mut md, self).expect("writing to a String cannot fail");
        md
    }
}

/// The document with its checking times blanked, for comparing two renderings.
pub fn without_times(md: &str) -> String {
    md.lines().map(|line| if line.starts_with(TIMES_ROW) { TIMES_ROW } else { line }).collect::<Vec<_>>().join("\n")
}

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
                "{}: {:?}, holds {}, {} points, {} charged{}",
                o.order,
                o.status,
                copies(o.held.stock_taken),
                o.held.points_taken,
                o.held.charged,
                if o.courier_told { ", courier told to collect" } else { "" }
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
        write!(md, " {} |", r.exploration.unique_states)?;
    }
    writeln!(md)?;
    write!(md, "| deepest path (steps) |")?;
    for r in results {
        write!(md, " {} |", r.exploration.max_depth)?;
    }
    writeln!(md)?;
    write!(md, "{TIMES_ROW}")?;
    for r in results {
        write!(md, " {:.1} s |", r.exploration.elapsed.as_secs_f64())?;
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
        "Both sagas are written as stateright models, and a model checker explores every state each \
         can reach, depth first, checking each property below in every one of them; the same pass \
         asserts that no run can go on forever. Our model moves each checkout only through the domain \
         crate's own transition methods, decides every retry, give-up and courier request with the \
         orchestration engine the runners use (`checkout-engine`), and performs every effect by the \
         store rules the project ships (`checkout_domain::stores`), so what is checked is the shipped logic. The reference model is the Step Functions study project as it \
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
        "Some scenarios add hostile faults, each within its own budget: a compensation refused for good \
         (a closed card); a courier reply forged by someone who knows the checkout's id, or a real reply \
         handed to a checkout it was not meant for; an orchestrator superseded while it still runs (a \
         retried Lambda, a runner restarted while the old one lives on), whose zombie then acts on what \
         it loaded; and a client that submits its order again, at once or after it ended, or reuses its \
         id for another order. The reference flow has no parts that meet these (no registry, no tokens \
         of its own, no fences), so it is checked only in the other scenarios. Each of our protections \
         against them is switched off in turn below, to show that the checker sees what it guards."
    )?;
    writeln!(md)?;
    writeln!(
        md,
        "Two reductions keep the larger scenarios fast, and a test shows that each leaves every verdict \
         as it was in the scenarios small enough to check without it: a pure step (pricing, routing, \
         closing a compensated checkout) is taken together with the step before it, since no other \
         actor can observe the state in between; and orders that differ only in their id are \
         interchangeable, so the checker visits one state for each way of renaming them. Fences are \
         kept only in scenarios with a zombie or a cancel (which makes one): without one, no \
         orchestrator ever acts under a fence older than the live one's, so fences decide nothing there."
    )?;
    writeln!(md)?;
    writeln!(
        md,
        "A call overtaken by the next step of its own checkout is explored in the scenario \"calls \
         overtaken\": any one call of the checkout (each store call, and the courier notice) may be \
         sent and land only after the orchestrator stopped waiting for it and moved on (a retry, a \
         give-up, a compensation). A take that lands after its give-back is refused by the stores' \
         tombstones; a notice that lands late finds its checkout past the point of no return, \
         which nothing there can undo."
    )?;
    writeln!(md)?;
    writeln!(
        md,
        "What leaves the shop: the courier notice is the one effect no key can take back, so once a \
         courier is assigned the checkout has no failure transition (a compile-fail case shows it), \
         the engine retries the notice without end, and a notice refused for good ends \
         notice-unconfirmed, everything held, for an operator. The property \"a courier collects \
         only what is sold\" watches every notice that lands, a lost reply's and a late one's \
         included; the copy of the engine that gives the notice up like a forward step (the code \
         before the point of no return) breaks it, below."
    )?;
    writeln!(md)?;
    writeln!(
        md,
        "A customer's cancel (`checkout cancel`) is explored in the scenario \"cancelled by the \
         customer\": up to two cancels, each at any moment, racing the checkout's calls (one of which \
         may have its reply lost, or land late), a crash, the courier's answer and each other. A \
         cancel does what the shipped one does: it claims the checkout, so the orchestrator it \
         interrupts goes on as a zombie whose next save is refused, and hands the checkout the \
         domain's cancel through the engine. Before a courier is assigned the checkout fails owing \
         what a failure there owes (a step in flight counts as taken, and its keyed compensation \
         gives it back or stops it landing); from the assignment on, the cancel is refused as past \
         the point of no return. Two weakened copies show that the property \"a cancel stops the \
         order or says why not\" and the money it guards are watched: one honours a cancel past the \
         point of no return, one forgets the charge in flight."
    )?;
    writeln!(md)?;
    writeln!(
        md,
        "An operator's resolution (`checkout resolve`) is explored in the scenario \"resolved by an \
         operator\": a compensation or the courier notice refused for good raises the checkout, and \
         up to two resolutions of either kind (given back by hand, or collected by the courier after \
         all) come at any moment, amid failed calls and a crash. A resolution does what the shipped \
         one does: the domain is asked first on the saved checkout, and only one it takes claims the \
         checkout and is saved through the engine; a courier's confirmation of a failed checkout, \
         and a second resolution, are refused. The property \"an operator settles only what the shop \
         could not\" holds the stores to what they held when the checkout was resolved; a weakened \
         copy that lets a checkout still compensating take a resolution breaks it."
    )?;
    writeln!(md)?;
    writeln!(
        md,
        "What is not explored: more faults than a scenario's budget; more orders than its list; \
         more than one overtaken call in a run, and overtaken calls in the scenarios of several \
         orders; runners that die in the scenarios of several orders. A live runner is assumed to \
         renew its leases in time: one that does not (frozen, cut off), or whose sweeper's clock \
         runs ahead of its own, is taken over while it still runs, which is the zombie scenario; the renewal itself is checked by the \
         conformance suite and by the test that freezes one of two servers."
    )?;
    writeln!(md)?;
    writeln!(md, "## The reference's flaws, and why they cannot happen here")?;
    writeln!(md)?;
    writeln!(md, "| # | flaw in the reference | what makes it impossible here | property that proves it |")?;
    writeln!(md, "|---|---|---|---|")?;
    for flaw in Flaw::ALL {
        let (n, what, remedy, property) = (flaw.number(), flaw.description(), flaw.remedy(), exposing(flaw).name);
        writeln!(md, "| {n} | {what} | {remedy} | {property} |")?;
    }
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
    for name in [
        "some checkout is compensated after billing",
        "some checkout is compensated after redeeming points",
        "some refused compensation is raised",
        "some cancel is honoured after billing",
        "some cancel is refused past the point of no return",
        "some refused compensation is resolved by hand",
        "some unconfirmed notice is resolved as collected",
    ] {
        if let Some((r, trace)) = shortest(&proofs.ours, name, any_trace) {
            writeln!(md, "### Example: {name} (scenario: {})", r.scenario.name)?;
            writeln!(md)?;
            render_trace(md, trace)?;
        }
    }
    writeln!(md, "## Our protections, each switched off")?;
    writeln!(md)?;
    writeln!(
        md,
        "Each row checks a copy of our saga with one protection removed, in the scenario whose faults it \
         guards against. That the guarded property then fails shows the checker can see the fault; \
         that it holds in the table above shows the protection works."
    )?;
    writeln!(md)?;
    writeln!(md, "| protection switched off | what the weakened copy does | scenario | property it guards | every property that fails |")?;
    writeln!(md, "|---|---|---|---|---|")?;
    for p in &proofs.protections {
        let guarded = p.weakness.breaks();
        let word = if p.result.verdict(guarded).holds() { "still holds (!)" } else { "fails" };
        writeln!(
            md,
            "| {} | {} | {} | {guarded}: {word} | {} |",
            p.weakness.protection(),
            p.weakness.description(),
            p.result.scenario.name,
            p.broken().join(", ")
        )?;
    }
    writeln!(md)?;
    for p in &proofs.protections {
        if let Some(trace) = &p.trace {
            writeln!(
                md,
                "### Without {}, {} fails after {}",
                p.weakness.protection(),
                p.weakness.breaks(),
                steps(trace.steps.len())
            )?;
            writeln!(md)?;
            render_trace(md, trace)?;
        }
    }
    render_routing(md, proofs)?;
    writeln!(md, "## The reference flow")?;
    writeln!(md)?;
    render_scenario_table(md, &proofs.reference)?;
    writeln!(md, "### Each flaw, and the shortest run that shows it")?;
    writeln!(md)?;
    for flaw in Flaw::ALL {
        let invariant = exposing(flaw);
        writeln!(md, "#### Flaw {}: {}", flaw.number(), flaw.description())?;
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
                writeln!(md, "The run shown for flaw {} above.\n", flaw.number())?;
            }
            _ => render_trace(md, trace)?,
        }
    }
    Ok(())
}

fn render_routing(md: &mut String, proofs: &Proofs) -> std::fmt::Result {
    writeln!(md, "## The generated Step Functions state machine")?;
    writeln!(md)?;
    writeln!(
        md,
        "A second model reads the generated definition (`deploy/checkout.asl.json`): its Task, Retry, \
         Catch and timeout routing and its data flow. Every invocation of the step function in it is the \
         shipped one (`checkout_stepfn::invocation::invoke`, with the drive loop of `checkout-drive` and the engine), run \
         over the in-memory shop; the model adds only what AWS does around it. Faults, within the \
         budget of each row: a function that dies after any of its calls to the shop; a reply lost \
         after the function ran, or while it still runs, so that the retry and the late invocation \
         both act; a courier request lost, answered with \"no courier\", or answered for another wait. \
         Each run starts with one copy and enough money, one copy and too little, or no copy; with a \
         shop that refuses compensations or not; and with one execution, a second for the same order \
         under another name, or a second for another order under the same id. In every run a \
         customer may cancel once, at any moment, as `checkout cancel` does on the shop's tables \
         (the shipped `Driver::cancel`, then driving the checkout to its end), while the executions \
         go on: an execution waiting for its courier then ends at the courier's answer or the \
         wait's timeout, failing as compensated (an example is found), and no property breaks."
    )?;
    writeln!(md)?;
    writeln!(
        md,
        "The properties, for every execution: one that succeeds dispatched its checkout; one that fails \
         names its checkout's end; one that fails leaves nothing taken, unless it names an operator's \
         task; and every execution ends. For the shop: a checkout holds what its end says (a dispatched \
         one its copies and its charge, a rejected or compensated one nothing), whatever a late \
         invocation does after it ended; a courier told to collect an order collects one that stays \
         sold (its copies held, never rejected or compensated); and one order has one checkout. The \
         generated definition keeps them all; each corrupted copy breaks what it should (the rows \
         marked *the first generated machine* are errors this model found in the machine as first \
         generated, since fixed). A `Dispatch` that gives the notice up, as the machine before the \
         point of no return did, breaks nothing over the shipped step function: `Compensate` finds \
         no failure transition past the courier and dispatches. It takes the engine as it was too \
         (the last such row) for a notified order to be refunded and restocked."
    )?;
    writeln!(md)?;
    writeln!(md, "| definition | faults per run | unique states | properties that fail |")?;
    writeln!(md, "|---|---|---|---|")?;
    for (name, faults, verdict) in proofs.routing.rows() {
        let broken = if verdict.broken.is_empty() { "none".to_string() } else { verdict.broken.join("; ") };
        writeln!(md, "| {name} | {faults} | {} | {broken} |", verdict.unique_states)?;
    }
    writeln!(md)
}
