//! Runs told in words: the steps of a model as sentences between actors, and the search for a
//! shortest run to a state that satisfies a goal (a counterexample, or an example). Shortest runs
//! come from a deterministic breadth-first search in the model's action order, so a document
//! made from them is the same on every run.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

use crate::audit::{Audit, Audited};

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
    pub fn id(self) -> &'static str {
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
