//! Model checking of the checkout saga with stateright.
//!
//! - [`saga`]: our saga, driven by the domain crate's own transitions and store rules,
//!   under injected faults.
//! - [`reference`](mod@reference): the reference Step Functions flow as it is, flaws included;
//!   [`flaw`] numbers its flaws.
//! - [`routing`]: the generated Step Functions state machine (read from
//!   `deploy/checkout.asl.json`), each invocation the shipped step function (`checkout-stepfn`) on
//!   the in-memory shop, under crashes, lost replies, zombies, courier faults, refused
//!   compensations and second executions; and the corrupted copies it must catch.
//! - [`asl`]: what that model reads of a States Language definition: routing and data flow.
//! - [`corruption`]: copies of the generated definition broken on purpose, which it must catch.
//! - [`before_no_return`]: the engine's old give-up of the courier notice, for weakened copies.
//! - [`audit`]: the invariants both are checked against, stated once.
//! - [`scenario`]: the concurrent orders, stock, points and fault budgets they run in.
//! - [`check`]: the checker — one pass per model and scenario gives every verdict.
//! - [`trace`]: runs told in words, and the search for the shortest one to show.
//! - [`proofs`]: checks everything; [`render`] writes the proofs document from the result.
//! - [`multiset`]: messages in flight, kept so that equal contents make equal states.
//! - [`shared`]: parts of a state that successors share until they change them.
//! - [`symmetry`]: one fingerprint for every renaming of orders that differ only in their id.

pub mod asl;
pub mod audit;
pub mod before_no_return;
pub mod check;
pub mod corruption;
pub mod flaw;
pub mod multiset;
pub mod proofs;
pub mod reference;
pub mod render;
pub mod routing;
pub mod saga;
pub mod scenario;
pub mod shared;
pub mod symmetry;
pub mod trace;
