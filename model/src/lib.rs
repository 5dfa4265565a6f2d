//! Model checking of the checkout saga with stateright.
//!
//! - [`saga`]: our saga, driven by the domain crate's own transitions, under injected faults.
//! - [`reference`](mod@reference): the reference Step Functions flow as it is, flaws included.
//! - [`audit`]: the invariants both are checked against.
//! - [`scenario`]: the concurrent orders, stock, points and fault budgets they run in.
//! - [`proof`]: runs the checker and writes the proofs document.
//! - [`multiset`]: messages in flight, kept so that equal contents make equal states.

pub mod audit;
pub mod multiset;
pub mod proof;
pub mod reference;
pub mod saga;
pub mod scenario;
