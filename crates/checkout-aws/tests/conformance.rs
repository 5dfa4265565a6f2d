//! The DynamoDB/SQS/SNS shop passes the conformance suite every adapter must pass, against moto
//! server: each test on its own freshly provisioned resources.

use checkout_aws::moto::MotoServer;
use checkout_aws::AwsShop;

async fn fresh_shop() -> AwsShop {
    let endpoint = MotoServer::shared().fresh_endpoint();
    AwsShop::provision(&endpoint).await.expect("provisioned");
    AwsShop::connect(&endpoint).await.expect("connected")
}

checkout_conformance::conformance_suite!(fresh_shop().await);
