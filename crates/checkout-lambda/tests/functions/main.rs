//! The Lambda functions tested as they are deployed: the step function's calls against the
//! store, on moto's Step Functions over a loopback Lambda runtime API, the template deployed on
//! moto and on ministack. One test binary with a module per concern: the harness links once
//! (with the AWS SDK) instead of once per file, and the emulator tests run beside each other.
//! What the functions log is `tests/logs.rs`, a binary of its own: it listens to every log line.

mod common;

mod calls;
mod deployed;
mod end_to_end;
mod ministack;
mod step;
