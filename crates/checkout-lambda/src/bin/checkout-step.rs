//! The step function: one action of the state machine per invocation (see `checkout_stepfn::invocation`).

use std::sync::Arc;

use checkout_drive::world::RealWorld;
use checkout_drive::Driver;
use checkout_engine::{Engine, Policy};
use checkout_stepfn::invocation::{invoke, Request};
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    // JSON lines when the function's log format is JSON (the template sets it).
    lambda_runtime::tracing::init_default_subscriber();
    // Built once per cold start, used by every invocation the instance serves.
    let shop = checkout_lambda::env::shop().await?;
    let seed = u64::from(std::process::id());
    let runner = Arc::new(Driver::new(Arc::new(shop), Engine::new(Policy::default(), seed), RealWorld::new(1)));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Request>| {
        let runner = Arc::clone(&runner);
        async move { invoke(&runner, event.payload).await.map_err(checkout_lambda::diagnostic) }
    }))
    .await
}
