//! The DynamoDB/SQS/SNS shop passes the conformance suite every adapter must pass, against moto
//! server: each test on its own freshly provisioned resources.

use checkout_aws::moto::MotoServer;
use checkout_aws::AwsShop;

async fn fresh_shop() -> AwsShop {
    MotoServer::shared().fresh_shop().await.expect("a shop on moto")
}

checkout_conformance::conformance_suite!(fresh_shop().await);
