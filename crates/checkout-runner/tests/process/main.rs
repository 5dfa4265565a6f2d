//! The `checkout` program tested as its users run it: processes on a SQLite file, and on
//! DynamoDB, SQS and SNS in moto server, driven over the command line and HTTP. One test binary
//! with a module per concern (after cargo's own advice for large suites): the harness links once
//! instead of once per file, and the slow tests (the crash test on each backend, the takeovers,
//! the hostile clients) run beside each other instead of one binary after another.

mod common;

#[cfg(feature = "aws")]
mod aws;
mod cancel;
mod cli_errors;
mod console;
mod contract;
mod crash;
mod demo;
mod full_disk;
mod hostile;
mod http;
mod lookup;
mod metrics;
mod operator;
mod run_memory;
mod secrets;
mod supply;
mod takeover;
mod traces;
