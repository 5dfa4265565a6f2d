//! The one definition of the AWS resources a shop needs: two DynamoDB tables, the courier request
//! queue with its dead-letter queue, and the courier notice topic. [`provision`] creates them
//! (the tests and `checkout aws provision` call it); the deployment template (`checkout-asl`) is
//! written from the same [`Definition`], the courier function's timeout and batch size included,
//! so the queue's visibility timeout cannot part from the function's.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType,
};
use aws_sdk_sqs::types::QueueAttributeName;

use crate::failure::{describe, ConnectError};

/// How many times the worker may receive a courier request before it goes to the dead-letter
/// queue: a request the worker cannot read does not block the queue for ever.
pub const MAX_RECEIVES: u32 = 5;

/// How long the courier function may run on one batch of requests, in seconds: its Lambda
/// timeout.
pub const COURIER_FUNCTION_TIMEOUT_S: u32 = 60;

/// Courier requests per invocation of the courier function: one. The function sends heartbeats
/// for the request it is searching for; a batch handled one request after another would leave
/// the later ones without a heartbeat until their turn, and their waits could time out though a
/// courier was being found.
pub const COURIER_BATCH_SIZE: u32 = 1;

/// How long a received courier request stays hidden from other receivers, in seconds: six times
/// the courier function's timeout, as AWS recommends for a queue that triggers a function (it
/// refuses an event source mapping whose queue hides a message for less than the function may
/// run, and the message would be delivered again while the first invocation still works on it).
pub const VISIBILITY_TIMEOUT_S: u32 = 6 * COURIER_FUNCTION_TIMEOUT_S;

/// How long a request received by a runner's own courier worker (`checkout serve` or `checkout
/// courier` on `--backend aws`) stays hidden, in seconds, set on each receive: the worker answers
/// in well under that, and the requests of a worker that dies are delivered again this soon.
pub const RUNNER_VISIBILITY_TIMEOUT_S: u32 = 30;

/// The names of one shop's resources, all derived from one prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceNames {
    pub prefix: String,
}

impl ResourceNames {
    pub fn new(prefix: impl Into<String>) -> ResourceNames {
        ResourceNames { prefix: prefix.into() }
    }
    pub fn ledger_table(&self) -> String {
        format!("{}-ledger", self.prefix)
    }
    pub fn checkouts_table(&self) -> String {
        format!("{}-checkouts", self.prefix)
    }
    pub fn courier_queue(&self) -> String {
        format!("{}-courier-requests", self.prefix)
    }
    pub fn courier_dead_letters(&self) -> String {
        format!("{}-courier-requests-dlq", self.prefix)
    }
    pub fn courier_topic(&self) -> String {
        format!("{}-courier-notices", self.prefix)
    }
}

/// A DynamoDB table: its name, its key (partition key, and sort key if any), and its global
/// secondary indexes, all keyed by strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub partition_key: &'static str,
    pub sort_key: Option<&'static str>,
    pub indexes: Vec<Index>,
}

/// A global secondary index that projects the keys and `projected`: a sparse one lists just the
/// items that carry its partition key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Index {
    pub name: &'static str,
    pub partition_key: &'static str,
    /// The index's sort key, if it has one (a string, like every key here).
    pub sort_key: Option<&'static str>,
    /// Attributes besides the keys that a query of the index reads.
    pub projected: &'static [&'static str],
}

/// The sparse index of the checkouts that have not ended: a record carries `open_shard` (one of
/// [`OPEN_SHARDS`] values, spread by checkout id so that no one index partition takes every
/// write) until its checkout ends. It projects each record's lease, so that a runner sweeping for
/// checkouts whose holder died reads only the index.
pub const UNFINISHED_INDEX: Index =
    Index { name: "unfinished", partition_key: "open_shard", sort_key: None, projected: &["lease_until"] };

/// The index an operator's listing reads: every checkout record by `phase_shard` (its phase and
/// one of [`OPEN_SHARDS`] values, spread by checkout id, so that no one partition takes every
/// write of a busy phase) and `since` (when it last moved, zero-padded, then its id: the
/// listing's order). It projects the order id, so a page is read from the index alone.
pub const BY_PHASE_INDEX: Index =
    Index { name: "by-phase", partition_key: "phase_shard", sort_key: Some("since"), projected: &["order_id"] };

/// How many partition key values the unfinished index spreads its items over.
pub const OPEN_SHARDS: u32 = 8;

/// Everything a shop needs, by name and shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Definition {
    pub tables: Vec<Table>,
    pub queue: String,
    pub dead_letters: String,
    pub max_receives: u32,
    pub visibility_timeout_s: u32,
    /// The courier function's timeout, and how many requests it is handed at once.
    pub courier_function_timeout_s: u32,
    pub courier_batch_size: u32,
    pub topic: String,
}

impl Definition {
    pub fn of(names: &ResourceNames) -> Definition {
        Definition {
            tables: vec![
                Table { name: names.ledger_table(), partition_key: "pk", sort_key: None, indexes: Vec::new() },
                Table {
                    name: names.checkouts_table(),
                    partition_key: "pk",
                    sort_key: Some("sk"),
                    indexes: vec![UNFINISHED_INDEX, BY_PHASE_INDEX],
                },
            ],
            queue: names.courier_queue(),
            dead_letters: names.courier_dead_letters(),
            max_receives: MAX_RECEIVES,
            visibility_timeout_s: VISIBILITY_TIMEOUT_S,
            courier_function_timeout_s: COURIER_FUNCTION_TIMEOUT_S,
            courier_batch_size: COURIER_BATCH_SIZE,
            topic: names.courier_topic(),
        }
    }
}

/// What [`provision`] did: the tables it created (the others existed), and every resource that is
/// now in place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provisioned {
    pub tables_created: Vec<String>,
    pub in_place: Vec<String>,
}

/// Creates every resource of `names` that does not exist yet (tables on demand, so nothing needs
/// sizing), and says which it made. Running it again changes nothing.
pub async fn provision(
    dynamodb: &aws_sdk_dynamodb::Client,
    sqs: &aws_sdk_sqs::Client,
    sns: &aws_sdk_sns::Client,
    names: &ResourceNames,
) -> Result<Provisioned, ConnectError> {
    let definition = Definition::of(names);
    let mut done = Provisioned { tables_created: Vec::new(), in_place: Vec::new() };
    for table in &definition.tables {
        let exists = match dynamodb.describe_table().table_name(&table.name).send().await {
            Ok(_) => true,
            Err(e) if e.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()) => false,
            Err(e) => return Err(ConnectError::Unreachable(describe(&e))),
        };
        done.in_place.push(table.name.clone());
        if exists {
            continue;
        }
        let mut create = dynamodb.create_table().table_name(&table.name).billing_mode(BillingMode::PayPerRequest);
        for (name, kind) in [(Some(table.partition_key), KeyType::Hash), (table.sort_key, KeyType::Range)] {
            let Some(name) = name else { continue };
            create = create
                .attribute_definitions(
                    AttributeDefinition::builder()
                        .attribute_name(name)
                        .attribute_type(ScalarAttributeType::S)
                        .build()
                        .map_err(|e| ConnectError::Unreachable(e.to_string()))?,
                )
                .key_schema(
                    KeySchemaElement::builder()
                        .attribute_name(name)
                        .key_type(kind)
                        .build()
                        .map_err(|e| ConnectError::Unreachable(e.to_string()))?,
                );
        }
        for index in &table.indexes {
            let build = |e: aws_sdk_dynamodb::error::BuildError| ConnectError::Unreachable(e.to_string());
            let mut gsi = GlobalSecondaryIndex::builder().index_name(index.name);
            for (name, kind) in [(Some(index.partition_key), KeyType::Hash), (index.sort_key, KeyType::Range)] {
                let Some(name) = name else { continue };
                create = create.attribute_definitions(
                    AttributeDefinition::builder()
                        .attribute_name(name)
                        .attribute_type(ScalarAttributeType::S)
                        .build()
                        .map_err(build)?,
                );
                gsi = gsi.key_schema(
                    KeySchemaElement::builder().attribute_name(name).key_type(kind).build().map_err(build)?,
                );
            }
            create = create.global_secondary_indexes(
                gsi.projection(
                    Projection::builder()
                        .projection_type(ProjectionType::Include)
                        .set_non_key_attributes(Some(index.projected.iter().map(|a| a.to_string()).collect()))
                        .build(),
                )
                .build()
                .map_err(build)?,
            );
        }
        create.send().await.map_err(|e| ConnectError::Unreachable(describe(&e)))?;
        done.tables_created.push(table.name.clone());
    }

    // CreateQueue and CreateTopic return the existing one when the attributes match.
    let dead_letters =
        sqs.create_queue().queue_name(&definition.dead_letters).send().await.map_err(|e| unreachable(&e))?;
    let dead_letters_url = dead_letters.queue_url().unwrap_or_default();
    let dead_letters_arn = sqs
        .get_queue_attributes()
        .queue_url(dead_letters_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| unreachable(&e))?
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .ok_or_else(|| ConnectError::Unreachable(format!("queue {} has no ARN", definition.dead_letters)))?;
    let redrive = serde_json::json!({
        "deadLetterTargetArn": dead_letters_arn,
        "maxReceiveCount": definition.max_receives.to_string(),
    });
    sqs.create_queue()
        .queue_name(&definition.queue)
        .attributes(QueueAttributeName::RedrivePolicy, redrive.to_string())
        .attributes(QueueAttributeName::VisibilityTimeout, definition.visibility_timeout_s.to_string())
        .send()
        .await
        .map_err(|e| unreachable(&e))?;
    done.in_place.push(definition.dead_letters.clone());
    done.in_place.push(definition.queue.clone());
    sns.create_topic().name(&definition.topic).send().await.map_err(|e| unreachable(&e))?;
    done.in_place.push(definition.topic.clone());
    Ok(done)
}

fn unreachable<E: std::error::Error + Send + Sync + 'static>(e: &E) -> ConnectError {
    ConnectError::Unreachable(describe(e))
}
