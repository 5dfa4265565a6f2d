//! How fast the checker explores our saga, beside stateright's own paxos example (DFS, 3 clients)
//! checked in the same run: unique states per second, medians over rounds, and their ratio. Run
//! with `cargo bench -p checkout-bench` (set `ROUNDS` for more or fewer rounds; default 3).
//!
//! Both are measured on one thread, then on every core: paxos with stateright's multi-threaded
//! DFS, our saga with its scenarios spread over the cores as the proofs run them.

use std::time::{Duration, Instant};

use checkout_bench::paxos::PaxosModelCfg;
use checkout_model::check::explore;
use checkout_model::proofs::parallel_map;
use checkout_model::saga::SagaModel;
use checkout_model::scenario::Scenario;
use stateright::actor::Network;
use stateright::{Checker, Model};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// States explored and the time it took.
#[derive(Clone, Copy)]
struct Run {
    states: usize,
    elapsed: Duration,
}

impl Run {
    fn rate(self) -> f64 {
        self.states as f64 / self.elapsed.as_secs_f64()
    }
}

fn paxos(threads: usize) -> Run {
    let model = PaxosModelCfg { client_count: 3, server_count: 3, network: Network::new_unordered_nonduplicating([]) }
        .into_model();
    let started = Instant::now();
    let checker = model.checker().threads(threads).spawn_dfs().join();
    Run { states: checker.unique_state_count(), elapsed: started.elapsed() }
}

/// The scenarios the proofs spend their time on.
fn scenarios() -> Vec<Scenario> {
    vec![Scenario::four_orders(), Scenario::three_orders(), Scenario::two_orders()]
}

fn ours(threads: usize) -> Run {
    let scenarios = scenarios();
    let started = Instant::now();
    let states: Vec<usize> = if threads == 1 {
        scenarios.iter().map(|s| explore(&SagaModel::new(s.clone())).unique_states).collect()
    } else {
        parallel_map(&scenarios, |s| explore(&SagaModel::new(s.clone())).unique_states)
    };
    Run { states: states.iter().sum(), elapsed: started.elapsed() }
}

fn median(mut rates: Vec<f64>) -> f64 {
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; this harness takes no arguments of its own.
    let rounds: usize = std::env::var("ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(3).max(1);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("checker throughput, {rounds} rounds, medians of unique states per second");
    println!("| threads | our saga (two, three, four orders) | stateright paxos, 3 clients, DFS | ours / paxos |");
    println!("|---|---|---|---|");
    for threads in [1, cores] {
        let (mut ours_rates, mut paxos_rates) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            // Alternate which goes first, so neither always runs on a warmer machine.
            let (o, p) = if round % 2 == 0 {
                let o = ours(threads);
                (o, paxos(threads))
            } else {
                let p = paxos(threads);
                (ours(threads), p)
            };
            eprintln!(
                "round {}: {threads} thread(s): ours {} states in {:.2} s, paxos {} states in {:.2} s",
                round + 1,
                o.states,
                o.elapsed.as_secs_f64(),
                p.states,
                p.elapsed.as_secs_f64()
            );
            ours_rates.push(o.rate());
            paxos_rates.push(p.rate());
        }
        let (o, p) = (median(ours_rates), median(paxos_rates));
        println!("| {threads} | {o:.0} | {p:.0} | {:.2} |", o / p);
    }
}
