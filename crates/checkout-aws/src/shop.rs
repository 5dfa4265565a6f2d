//! The shop on AWS: one client per service, built once, the names of the shop's resources, and a
//! count of the calls made (which the cost estimate reads).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;

use crate::failure::{classify, ConnectError, Failure};
use crate::resources::ResourceNames;

/// Where the shop's services are: an endpoint URL (moto, LocalStack) or AWS itself, a region, and
/// the prefix of the shop's resources. Credentials come from the usual AWS environment
/// variables, profile or role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// `None` for AWS itself.
    pub url: Option<String>,
    /// `None` for the region the AWS configuration names.
    pub region: Option<String>,
    pub names: ResourceNames,
    /// Sign with fixed test credentials instead of the usual chain (for moto on loopback).
    pub test_credentials: bool,
}

/// How many calls each service has answered, by operation (`dynamodb:TransactWriteItems`).
#[derive(Clone, Debug, Default)]
pub struct Calls(Arc<Mutex<BTreeMap<String, u64>>>);

impl Calls {
    /// The counts so far.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.0.lock().map(|counts| counts.clone()).unwrap_or_default()
    }

    /// The calls made to `service` (`dynamodb`, `sqs`, `sns`) so far.
    pub fn of(&self, service: &str) -> u64 {
        let prefix = format!("{service}:");
        self.snapshot().iter().filter(|(op, _)| op.starts_with(&prefix)).map(|(_, n)| n).sum()
    }
}

impl Intercept for Calls {
    fn name(&self) -> &'static str {
        "CallCounter"
    }

    // Counted once per call, however often it is retried: the operation's metadata is in the
    // configuration by the time the request is serialized (not yet when execution starts).
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(metadata) = cfg.load::<Metadata>() {
            let service = metadata.service().to_ascii_lowercase();
            if let Ok(mut counts) = self.0.lock() {
                *counts.entry(format!("{service}:{}", metadata.name())).or_default() += 1;
            }
        }
        Ok(())
    }
}

/// The shop on DynamoDB, SQS and SNS.
#[derive(Clone)]
pub struct AwsShop {
    pub(crate) dynamodb: aws_sdk_dynamodb::Client,
    pub(crate) sqs: aws_sdk_sqs::Client,
    pub(crate) sns: aws_sdk_sns::Client,
    pub(crate) names: ResourceNames,
    pub(crate) queue_url: String,
    pub(crate) topic_arn: String,
    pub(crate) calls: Calls,
    pub(crate) journal_lengths: crate::repository::JournalLengths,
}

/// The three clients, built from one configuration, each counting its calls into `calls`.
pub async fn clients(
    endpoint: &Endpoint,
    calls: &Calls,
) -> Result<(aws_sdk_dynamodb::Client, aws_sdk_sqs::Client, aws_sdk_sns::Client), ConnectError> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(url) = &endpoint.url {
        loader = loader.endpoint_url(url);
    }
    if let Some(region) = &endpoint.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    if endpoint.test_credentials {
        loader =
            loader.credentials_provider(aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "test"));
    }
    let shared = loader.load().await;
    if shared.region().is_none() {
        return Err(ConnectError::NoRegion);
    }
    let dynamodb = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&shared).interceptor(calls.clone()).build(),
    );
    let sqs =
        aws_sdk_sqs::Client::from_conf(aws_sdk_sqs::config::Builder::from(&shared).interceptor(calls.clone()).build());
    let sns =
        aws_sdk_sns::Client::from_conf(aws_sdk_sns::config::Builder::from(&shared).interceptor(calls.clone()).build());
    Ok((dynamodb, sqs, sns))
}

fn failed(kind: &'static str, name: &str, failure: Failure) -> ConnectError {
    match failure {
        Failure::Missing(_) => ConnectError::Missing { kind, name: name.to_string() },
        Failure::NotDone(line) | Failure::Unknown(line) => ConnectError::Unreachable(line),
    }
}

impl AwsShop {
    /// Connects to the shop's resources, checking that each exists: a missing table, queue or
    /// topic is named here, once, not on every call.
    pub async fn connect(endpoint: &Endpoint) -> Result<AwsShop, ConnectError> {
        let calls = Calls::default();
        let (dynamodb, sqs, sns) = clients(endpoint, &calls).await?;
        let names = endpoint.names.clone();
        for table in [names.ledger_table(), names.checkouts_table()] {
            dynamodb
                .describe_table()
                .table_name(&table)
                .send()
                .await
                .map_err(|e| failed("table", &table, classify(&e)))?;
        }
        let queue = names.courier_queue();
        let queue_url = sqs
            .get_queue_url()
            .queue_name(&queue)
            .send()
            .await
            .map_err(|e| failed("queue", &queue, classify(&e)))?
            .queue_url()
            .unwrap_or_default()
            .to_string();
        let topic = names.courier_topic();
        let topic_arn = topic_arn_of(&sns, &topic).await?;
        Ok(AwsShop::assemble((dynamodb, sqs, sns), names, queue_url, topic_arn, calls))
    }

    fn assemble(
        (dynamodb, sqs, sns): (aws_sdk_dynamodb::Client, aws_sdk_sqs::Client, aws_sdk_sns::Client),
        names: ResourceNames,
        queue_url: String,
        topic_arn: String,
        calls: Calls,
    ) -> AwsShop {
        AwsShop { dynamodb, sqs, sns, names, queue_url, topic_arn, calls, journal_lengths: Default::default() }
    }

    /// Connects to resources whose addresses are known already (a deployed function is told
    /// them): nothing is looked up, so the function needs no right to list topics, and a cold
    /// start makes no call.
    pub async fn connect_known(
        endpoint: &Endpoint,
        queue_url: String,
        topic_arn: String,
    ) -> Result<AwsShop, ConnectError> {
        let calls = Calls::default();
        let clients = clients(endpoint, &calls).await?;
        Ok(AwsShop::assemble(clients, endpoint.names.clone(), queue_url, topic_arn, calls))
    }

    /// The URL of the courier request queue.
    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }

    /// The ARN of the courier notice topic.
    pub fn topic_arn(&self) -> &str {
        &self.topic_arn
    }

    /// Creates whatever of the endpoint's resources is missing (see [`crate::resources`]).
    pub async fn provision(endpoint: &Endpoint) -> Result<crate::resources::Provisioned, ConnectError> {
        let (dynamodb, sqs, sns) = clients(endpoint, &Calls::default()).await?;
        crate::resources::provision(&dynamodb, &sqs, &sns, &endpoint.names).await
    }

    /// The calls this shop has made so far.
    pub fn calls(&self) -> &Calls {
        &self.calls
    }

    pub fn names(&self) -> &ResourceNames {
        &self.names
    }
}

/// The ARN of the topic named `name`, found among the account's topics.
async fn topic_arn_of(sns: &aws_sdk_sns::Client, name: &str) -> Result<String, ConnectError> {
    let suffix = format!(":{name}");
    let mut next = None;
    loop {
        let page = sns
            .list_topics()
            .set_next_token(next.take())
            .send()
            .await
            .map_err(|e| failed("topic", name, classify(&e)))?;
        if let Some(arn) = page.topics().iter().filter_map(|t| t.topic_arn()).find(|arn| arn.ends_with(&suffix)) {
            return Ok(arn.to_string());
        }
        match page.next_token() {
            Some(token) => next = Some(token.to_string()),
            None => return Err(ConnectError::Missing { kind: "topic", name: name.to_string() }),
        }
    }
}
