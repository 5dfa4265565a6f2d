use checkout_model::reference::ReferenceModel;
use checkout_model::scenario::Scenario;
use stateright::{Checker, Model};

#[test]
fn probe() {
    for s in Scenario::all() {
        let t = std::time::Instant::now();
        let m = ReferenceModel::new(s.clone());
        let c = m.checker().spawn_bfs().join();
        println!("{}: {} states, depth {}, {:?}", s.name, c.unique_state_count(), c.max_depth(), t.elapsed());
        for (name, path) in c.discoveries() { println!("  discovery {name}: {} steps", path.clone().into_actions().len()); }
    }
}
