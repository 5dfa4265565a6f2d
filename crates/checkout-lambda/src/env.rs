//! Where a deployed function finds the shop: the variables the SAM template sets.

use checkout_aws::{AwsShop, ConnectError, Endpoint, ResourceNames};

/// Why a function could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("the environment variable {0} is not set (the SAM template sets it)")]
    Missing(&'static str),
    #[error(transparent)]
    Connect(#[from] ConnectError),
}

fn var(name: &'static str) -> Result<String, StartError> {
    std::env::var(name).map_err(|_| StartError::Missing(name))
}

/// The shop, from `CHECKOUT_PREFIX`, `COURIER_QUEUE_URL` and `COURIER_TOPIC_ARN`; the endpoint
/// and region come from the usual AWS variables (`AWS_ENDPOINT_URL` on loopback).
pub async fn shop() -> Result<AwsShop, StartError> {
    let endpoint = Endpoint {
        url: std::env::var("AWS_ENDPOINT_URL").ok(),
        region: None,
        names: ResourceNames::new(var("CHECKOUT_PREFIX")?),
        test_credentials: false,
    };
    Ok(AwsShop::connect_known(&endpoint, var("COURIER_QUEUE_URL")?, var("COURIER_TOPIC_ARN")?).await?)
}
