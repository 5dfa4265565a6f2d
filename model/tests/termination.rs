//! Every run of either model is finite: the reachable state graph has no cycle. This is what
//! makes stateright's "eventually" verdicts complete (it judges paths at their last state and
//! cannot see a run that loops forever).

use std::collections::HashMap;
use std::hash::Hash;

use checkout_model::reference::ReferenceModel;
use checkout_model::saga::SagaModel;
use checkout_model::scenario::Scenario;
use stateright::Model;

/// Depth-first search with colours; returns the number of states, or panics on a back edge.
fn assert_acyclic<M: Model>(model: &M) -> usize
where
    M::State: Clone + Hash + Eq,
{
    #[derive(Clone, Copy, PartialEq)]
    enum Colour {
        OnStack,
        Done,
    }
    let mut colour: HashMap<M::State, Colour> = HashMap::new();
    for init in model.init_states() {
        if colour.contains_key(&init) {
            continue;
        }
        colour.insert(init.clone(), Colour::OnStack);
        let mut stack = vec![(init.clone(), model.next_states(&init).into_iter())];
        while let Some((state, successors)) = stack.last_mut() {
            match successors.next() {
                Some(next) => match colour.get(&next) {
                    Some(Colour::OnStack) => panic!("a cycle: a run could go on forever"),
                    Some(Colour::Done) => {}
                    None => {
                        colour.insert(next.clone(), Colour::OnStack);
                        let successors = model.next_states(&next).into_iter();
                        stack.push((next, successors));
                    }
                },
                None => {
                    let done = state.clone();
                    colour.insert(done, Colour::Done);
                    stack.pop();
                }
            }
        }
    }
    colour.len()
}

#[test]
fn every_run_of_our_saga_is_finite() {
    for scenario in Scenario::all() {
        let states = assert_acyclic(&SagaModel::new(scenario.clone()));
        println!("ours / {}: acyclic over {states} states", scenario.name);
    }
}

#[test]
fn every_run_of_the_reference_is_finite() {
    for scenario in Scenario::all() {
        let states = assert_acyclic(&ReferenceModel::new(scenario.clone()));
        println!("reference / {}: acyclic over {states} states", scenario.name);
    }
}
