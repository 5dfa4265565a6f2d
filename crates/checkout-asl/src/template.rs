//! The SAM template: the shop's tables, queues and topic (from `checkout_aws::resources`, the
//! same definition `checkout aws provision` creates), the two functions, the state machine, and one
//! least-privilege role for each function and for the state machine: every statement names its
//! actions and the resources they act on, none is a wildcard. It is written as JSON, which is
//! YAML too.

use checkout_aws::resources::{Definition, Table};
use checkout_aws::ResourceNames;
use serde_json::{json, Value};

/// The template of a shop whose resources are named from `prefix`.
/// The state machine alias executions start through: each deploy moves it to the version it
/// publishes (see the README on rolling out and back).
pub const ALIAS: &str = "live";

pub fn template(prefix: &str) -> Value {
    let names = ResourceNames::new(prefix);
    let definition = Definition::of(&names);
    let mut resources = serde_json::Map::new();

    for (logical, table) in ["LedgerTable", "CheckoutsTable"].iter().zip(&definition.tables) {
        resources.insert(logical.to_string(), table_resource(table));
    }
    resources.insert(
        "CourierDeadLetters".into(),
        json!({ "Type": "AWS::SQS::Queue", "Properties": { "QueueName": definition.dead_letters } }),
    );
    resources.insert(
        "CourierQueue".into(),
        json!({
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": definition.queue,
                "VisibilityTimeout": definition.visibility_timeout_s,
                "RedrivePolicy": {
                    "deadLetterTargetArn": { "Fn::GetAtt": ["CourierDeadLetters", "Arn"] },
                    "maxReceiveCount": definition.max_receives,
                },
            },
        }),
    );
    resources.insert(
        "CourierTopic".into(),
        json!({ "Type": "AWS::SNS::Topic", "Properties": { "TopicName": definition.topic } }),
    );

    // The step function reads and writes checkouts and the ledger by key and publishes courier
    // notices; it lists, queries and looks up nothing (it is told the queue and topic). Each
    // action is shown needed, or named with why no emulator can show it, by
    // `crates/checkout-lambda/tests/functions/ministack.rs`, which takes them away one at a time.
    let tables = json!([{ "Fn::GetAtt": ["LedgerTable", "Arn"] }, { "Fn::GetAtt": ["CheckoutsTable", "Arn"] }]);
    let step_statements = json!([
        {
            "Effect": "Allow",
            "Action": [
                // A transaction is allowed item by item, by the actions it is made of.
                "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem",
            ],
            "Resource": tables,
        },
        { "Effect": "Allow", "Action": ["sns:Publish"], "Resource": { "Ref": "CourierTopic" } },
    ]);
    insert_function(&mut resources, prefix, "Step", "checkout-step", step_statements, STEP_FUNCTION_TIMEOUT_S, None);

    let courier_statements = json!([
        {
            "Effect": "Allow",
            "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
            "Resource": { "Fn::GetAtt": ["CourierQueue", "Arn"] },
        },
        {
            "Effect": "Allow",
            "Action": ["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"],
            "Resource": { "Ref": "CheckoutStateMachine" },
        },
    ]);
    let trigger = json!({
        "CourierRequests": {
            "Type": "SQS",
            "Properties": {
                "Queue": { "Fn::GetAtt": ["CourierQueue", "Arn"] },
                "BatchSize": definition.courier_batch_size,
                // The function answers with the requests it could not answer
                // (`batchItemFailures`): only those go back to the queue, to be delivered again
                // and then dead-lettered. Without this, SQS takes the answer as the whole batch
                // done and deletes them.
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
            },
        },
    });
    insert_function(
        &mut resources,
        prefix,
        "Courier",
        "checkout-courier",
        courier_statements,
        definition.courier_function_timeout_s,
        Some(trigger),
    );

    resources.insert(
        "StateMachineRole".into(),
        role(
            "states.amazonaws.com",
            json!([
                {
                    "Effect": "Allow",
                    "Action": ["lambda:InvokeFunction"],
                    "Resource": { "Fn::GetAtt": ["StepFunction", "Arn"] },
                },
                {
                    "Effect": "Allow",
                    "Action": ["sqs:SendMessage"],
                    "Resource": { "Fn::GetAtt": ["CourierQueue", "Arn"] },
                },
            ]),
        ),
    );
    resources.insert(
        "CheckoutStateMachine".into(),
        json!({
            "Type": "AWS::Serverless::StateMachine",
            "Properties": {
                "Name": format!("{prefix}-checkout"),
                "Type": "STANDARD",
                "DefinitionUri": "checkout.asl.json",
                "DefinitionSubstitutions": {
                    "StepFunctionArn": { "Fn::GetAtt": ["StepFunction", "Arn"] },
                    "CourierQueueUrl": { "Ref": "CourierQueue" },
                },
                "Role": { "Fn::GetAtt": ["StateMachineRole", "Arn"] },
                // Each deploy publishes a version of the definition and points the alias at it;
                // executions start through the alias, and one that runs keeps the version it
                // started on, so an update never changes the definition under it.
                "AutoPublishAlias": ALIAS,
            },
        }),
    );

    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Description": "The book-store checkout on AWS. Generated by checkout-asl: do not edit.",
        "Resources": resources,
        "Outputs": {
            "StateMachineArn": { "Value": { "Ref": "CheckoutStateMachine" } },
            // What clients start executions through (SAM names the alias `<machine>Alias<name>`).
            "StateMachineAliasArn": { "Value": { "Ref": format!("CheckoutStateMachineAlias{ALIAS}") } },
            "CourierTopicArn": { "Value": { "Ref": "CourierTopic" } },
        },
    })
}

fn table_resource(table: &Table) -> Value {
    let mut attributes = vec![json!({ "AttributeName": table.partition_key, "AttributeType": "S" })];
    let mut key = vec![json!({ "AttributeName": table.partition_key, "KeyType": "HASH" })];
    if let Some(sort) = table.sort_key {
        attributes.push(json!({ "AttributeName": sort, "AttributeType": "S" }));
        key.push(json!({ "AttributeName": sort, "KeyType": "RANGE" }));
    }
    let mut properties = json!({
        "TableName": table.name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": attributes,
        "KeySchema": key,
    });
    if !table.indexes.is_empty() {
        let indexes: Vec<Value> = table
            .indexes
            .iter()
            .map(|index| {
                let mut key = vec![json!({ "AttributeName": index.partition_key, "KeyType": "HASH" })];
                key.extend(index.sort_key.map(|sort| json!({ "AttributeName": sort, "KeyType": "RANGE" })));
                json!({
                    "IndexName": index.name,
                    "KeySchema": key,
                    "Projection": { "ProjectionType": "INCLUDE", "NonKeyAttributes": index.projected },
                })
            })
            .collect();
        for index in &table.indexes {
            for name in std::iter::once(index.partition_key).chain(index.sort_key) {
                properties["AttributeDefinitions"]
                    .as_array_mut()
                    .expect("a list")
                    .push(json!({ "AttributeName": name, "AttributeType": "S" }));
            }
        }
        properties["GlobalSecondaryIndexes"] = json!(indexes);
    }
    json!({ "Type": "AWS::DynamoDB::Table", "Properties": properties })
}

/// A role that `service` assumes, allowed exactly `statements`.
fn role(service: &str, statements: Value) -> Value {
    json!({
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{ "Effect": "Allow", "Principal": { "Service": service }, "Action": "sts:AssumeRole" }],
            },
            "Policies": [{
                "PolicyName": "least-privilege",
                "PolicyDocument": { "Version": "2012-10-17", "Statement": statements },
            }],
        },
    })
}

/// The step function's timeout, in seconds: one invocation is one store call or a few.
const STEP_FUNCTION_TIMEOUT_S: u32 = 60;

/// A function `{name}Function` built by `cargo lambda build --release --arm64` as `binary`, its
/// log group, and its role `{name}Role` (its statements, and writing to its own log group).
fn insert_function(
    resources: &mut serde_json::Map<String, Value>,
    prefix: &str,
    name: &str,
    binary: &str,
    statements: Value,
    timeout_s: u32,
    events: Option<Value>,
) {
    let logs = format!("{name}Logs");
    resources.insert(
        logs.clone(),
        json!({
            "Type": "AWS::Logs::LogGroup",
            "Properties": { "LogGroupName": format!("/aws/lambda/{binary}"), "RetentionInDays": 30 },
        }),
    );
    let mut statements = statements.as_array().cloned().unwrap_or_default();
    statements.push(json!({
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": { "Fn::GetAtt": [logs.clone(), "Arn"] },
    }));
    resources.insert(format!("{name}Role"), role("lambda.amazonaws.com", json!(statements)));
    let mut properties = json!({
        "FunctionName": binary,
        "CodeUri": format!("../target/lambda/{binary}/"),
        "Handler": "bootstrap",
        "Runtime": "provided.al2023",
        "Architectures": ["arm64"],
        "MemorySize": 256,
        "Timeout": timeout_s,
        "Role": { "Fn::GetAtt": [format!("{name}Role"), "Arn"] },
        "LoggingConfig": { "LogFormat": "JSON", "LogGroup": { "Ref": logs } },
        // The function is told where things are, rather than looking them up (listing topics
        // cannot be limited to one topic).
        "Environment": { "Variables": {
            "CHECKOUT_PREFIX": prefix,
            "COURIER_QUEUE_URL": { "Ref": "CourierQueue" },
            "COURIER_TOPIC_ARN": { "Ref": "CourierTopic" },
        } },
    });
    if let Some(events) = events {
        properties["Events"] = events;
    }
    resources
        .insert(format!("{name}Function"), json!({ "Type": "AWS::Serverless::Function", "Properties": properties }));
}
