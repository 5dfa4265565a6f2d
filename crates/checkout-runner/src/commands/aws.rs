//! `checkout aws provision`: the shop's DynamoDB tables, SQS queues and SNS topic, those that do
//! not exist yet (on AWS, or on an AWS-protocol server such as moto).

use clap::Subcommand;

use super::CliError;
use crate::backend::AwsArgs;

#[derive(Debug, Subcommand)]
pub enum AwsCommand {
    /// Create the shop's DynamoDB tables, SQS queues and SNS topic, those that do not exist yet.
    Provision {
        #[command(flatten)]
        aws: AwsArgs,
    },
}

#[cfg(not(feature = "aws"))]
pub async fn execute(_command: AwsCommand) -> Result<bool, CliError> {
    Err(CliError::WithoutAws)
}

#[cfg(feature = "aws")]
pub async fn execute(command: AwsCommand) -> Result<bool, CliError> {
    let AwsCommand::Provision { aws } = command;
    let done = checkout_aws::AwsShop::provision(&aws.endpoint()).await?;
    for name in &done.in_place {
        let made = if done.tables_created.contains(name) { "created" } else { "in place" };
        println!("{name}: {made}");
    }
    Ok(true)
}
