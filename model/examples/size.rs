use checkout_model::check::explore;
use checkout_model::saga::SagaModel;
use checkout_model::scenario::Scenario;
fn main() {
    let which: Vec<String> = std::env::args().skip(1).collect();
    for s in Scenario::all() {
        if !which.is_empty() && !which.iter().any(|w| s.name.contains(w.as_str())) {
            continue;
        }
        let e = explore(&SagaModel::new(s.clone()));
        println!(
            "{:24} {:>10} states depth {:3} {:7.2}s {:>9.0}/s cycle {} disc {:?}",
            s.name,
            e.unique_states,
            e.max_depth,
            e.elapsed.as_secs_f64(),
            e.unique_states as f64 / e.elapsed.as_secs_f64(),
            e.cycle,
            e.discovered
        );
    }
}
