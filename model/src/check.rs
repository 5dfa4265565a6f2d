//! The model checker: one depth-first pass over every state a model can reach, which at once
//! judges every invariant in [`INVARIANTS`] (auditing each state once), measures the state space,
//! and looks for a cycle. Every assertion about a scenario uses the result of this one pass.
//!
//! *Always* invariants are judged in every state and *sometimes* invariants look for one state
//! that satisfies them. *Eventually* invariants are judged at the states where a run ends; that
//! is complete only when no run goes on forever, which is why the pass also reports any cycle and
//! the tests assert there is none. States are told apart by a 64-bit fingerprint, as stateright's
//! own checkers do; a model with symmetric orders gives one fingerprint to every renaming of a
//! state (see [`Audited::symmetric_fingerprint`]), and the checker visits only the first it meets.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use stateright::Expectation;

use crate::audit::{Audited, INVARIANTS};

/// What one pass over a model found.
#[derive(Clone, Debug)]
pub struct Exploration {
    pub unique_states: usize,
    /// The most steps on any path the search followed.
    pub max_depth: usize,
    /// Per invariant, in [`INVARIANTS`] order: a counterexample was found (always, eventually), or
    /// an example (sometimes).
    pub discovered: Vec<bool>,
    /// Some state can reach itself again: a run could go on forever.
    pub cycle: bool,
    pub elapsed: Duration,
}

/// Fingerprints are already hashes; the set of them need not hash them again.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A 64-bit fingerprint of a value, the same on every run.
pub fn fingerprint<S: Hash + ?Sized>(state: &S) -> u64 {
    // Fixed seeds, so fingerprints (and so the search) are the same on every run.
    fingerprint_hasher().hash_one(state)
}

/// The hasher behind every fingerprint, seeded once.
pub fn fingerprint_hasher() -> &'static ahash::RandomState {
    static SEEDED: LazyLock<ahash::RandomState> = LazyLock::new(|| {
        ahash::RandomState::with_seeds(0x243f_6a88_85a3_08d3, 0x1319_8a2e_0370_7344, 0xa409_3822_299f_31d0, 0x082e_fa98)
    });
    &SEEDED
}

/// A state on the current path, with the actions not yet tried from it.
struct Frame<S, A> {
    state: S,
    /// The fingerprint the state is known by (symmetric, where the model has a symmetry).
    fingerprint: u64,
    /// The fingerprint of the state exactly as it is.
    exact: u64,
    actions: std::vec::IntoIter<A>,
    /// Whether any action led somewhere; a state with no successor is where a run ends.
    has_successor: bool,
    /// The invariants judged only where a run ends that do not hold here (bit `i` for the
    /// `i`-th invariant).
    eventually_fails: u64,
}

/// Explores every state of `model` reachable from its initial states.
pub fn explore<M>(model: &M) -> Exploration
where
    M: Audited,
    M::State: Clone + Hash,
{
    assert!(INVARIANTS.len() <= 64, "the eventually flags of a state fit in 64 bits");
    let started = Instant::now();
    // Every state met so far. A state is on the current path while its frame is on the stack;
    // paths are short, so the stack itself answers that.
    let mut seen: HashSet<u64, BuildHasherDefault<PassThrough>> = HashSet::default();
    // With symmetry, the exact states met so far too: most states are met again exactly, and
    // knowing them spares working out their symmetric fingerprint. (If a state met again was,
    // the first time, a renaming of one on the path, the cycle was reported then.)
    let mut met: HashSet<u64, BuildHasherDefault<PassThrough>> = HashSet::default();
    let mut discovered = vec![false; INVARIANTS.len()];
    let mut cycle = false;
    let mut max_depth = 0;
    let mut stack: Vec<Frame<M::State, M::Action>> = Vec::new();
    let mut actions = Vec::new();

    let mut visit = |state: M::State, stack: &mut Vec<_>, seen: &mut HashSet<_, _>, discovered: &mut Vec<bool>| {
        let exact = fingerprint(&state);
        if met.contains(&exact) {
            cycle |= stack.iter().any(|f: &Frame<M::State, M::Action>| f.exact == exact);
            return;
        }
        let print = match model.symmetric_fingerprint(&state) {
            Some(print) => {
                met.insert(exact);
                print
            }
            None => exact,
        };
        if !seen.insert(print) {
            cycle |= stack.iter().any(|f| f.fingerprint == print);
            return;
        }
        let audit = model.audit(&state);
        let mut eventually_fails = 0u64;
        for (i, invariant) in INVARIANTS.iter().enumerate() {
            let holds = (invariant.holds)(&audit);
            match invariant.expectation {
                Expectation::Always => discovered[i] |= !holds,
                Expectation::Sometimes => discovered[i] |= holds,
                Expectation::Eventually => eventually_fails |= u64::from(!holds) << i,
            }
        }
        actions.clear();
        model.actions(&state, &mut actions);
        let tried = std::mem::take(&mut actions).into_iter();
        stack.push(Frame { state, fingerprint: print, exact, actions: tried, has_successor: false, eventually_fails });
        max_depth = max_depth.max(stack.len() - 1);
    };

    for init in model.init_states() {
        visit(init, &mut stack, &mut seen, &mut discovered);
        while let Some(frame) = stack.last_mut() {
            match frame.actions.next() {
                Some(action) => {
                    if let Some(next) = model.next_state(&frame.state, action) {
                        frame.has_successor = true;
                        visit(next, &mut stack, &mut seen, &mut discovered);
                    }
                }
                None => {
                    let done = stack.pop().expect("the loop holds a frame");
                    if !done.has_successor {
                        for (i, found) in discovered.iter_mut().enumerate() {
                            *found |= done.eventually_fails & (1 << i) != 0;
                        }
                    }
                }
            }
        }
    }
    Exploration { unique_states: seen.len(), max_depth, discovered, cycle, elapsed: started.elapsed() }
}
