//! Benchmarks of the project. `cargo bench -p checkout-bench` runs them; see the README.
//!
//! - [`paxos`]: stateright's own paxos example, the yardstick for the checker's throughput.

pub mod paxos;
