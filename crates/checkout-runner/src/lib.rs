//! The durable runner of the checkout saga, and the `checkout` program's commands. It carries out
//! the engine's decisions (`checkout-engine`) against a shop (any adapter of `checkout-ports`):
//!
//! - `checkout-drive` (a crate of its own, shared with the Lambda step function and the model):
//!   one task per checkout claims it, runs it to its end under its fence, journals every step,
//!   and hands courier replies to the waiting checkout by token;
//! - [`worker`]: the courier worker (in-process, or its own process);
//! - [`faults`]: a shop wrapper that injects failures, for tests and demos;
//! - [`catalog`]: the shop's books and customers, as `checkout init` reads them;
//! - [`audit`]: the model's invariants checked on the real data;
//! - [`serve`]: the HTTP API of `checkout serve`;
//! - [`traces`]: where logs and traces go (stderr; OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set);
//! - [`listen`]: how it takes connections (a cap, header and idle timeouts, graceful stop);
//! - [`lookup`]: finding a checkout by its order or its own id;
//! - [`listing`]: what an operator asks to list (`checkout list`, `GET /checkouts`);
//! - [`backend`]: which shop a command opens (SQLite always; AWS with the `aws` feature);
//! - [`commands`]: the program's commands, one file each (`checkout demo`, `run`, `serve`,
//!   `restock`, `status`, ...).

pub mod audit;
pub mod backend;
pub mod catalog;
pub mod commands;
pub mod faults;
pub mod listen;
pub mod listing;
pub mod lookup;
pub mod serve;
pub mod traces;
pub mod worker;
