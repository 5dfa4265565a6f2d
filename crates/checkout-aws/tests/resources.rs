//! The shop's resources on moto server: provisioning, what a missing one looks like, the courier
//! queue's dead letters, and what a courier notice carries.

use checkout_aws::moto::MotoServer;
use checkout_aws::{clients, AwsShop, Calls, ConnectError};
use checkout_domain::fencing::Fence;
use checkout_domain::{CheckoutId, CourierId, Effect, EffectKey, Order, TaskToken};
use checkout_ports::{CourierInbox, CourierQueue, CourierRequest, Notifier, PortError};

fn order() -> Order {
    Order::from_json(r#"{"orderId":"o-7","bookId":"b-2","userId":"u-3","quantity":2}"#).unwrap()
}

/// On a server of its own, since it empties the server at the end.
#[tokio::test]
async fn missing_resources_are_named_and_provisioning_twice_changes_nothing() {
    let server = MotoServer::start().expect("moto starts");
    let endpoint = server.fresh_endpoint();
    let prefix = endpoint.names.prefix.clone();
    let missing = AwsShop::connect(&endpoint).await.err().expect("nothing is there yet");
    assert_eq!(missing, ConnectError::Missing { kind: "table", name: format!("{prefix}-ledger") });
    assert_eq!(
        missing.to_string(),
        format!("table {prefix}-ledger does not exist; create it first (`checkout aws provision`)")
    );

    let first = AwsShop::provision(&endpoint).await.expect("provisioned");
    assert_eq!(first.tables_created, [format!("{prefix}-ledger"), format!("{prefix}-checkouts")]);
    assert_eq!(first.in_place.len(), 5, "{first:?}");
    let again = AwsShop::provision(&endpoint).await.expect("provisioned again");
    assert!(again.tables_created.is_empty(), "{again:?}");
    AwsShop::connect(&endpoint).await.expect("everything is there");

    // The queue sends what its worker cannot read to the dead-letter queue after 5 receives.
    let (_, sqs, _) = clients(&endpoint, &Calls::default()).await.unwrap();
    let url = sqs.get_queue_url().queue_name(format!("{prefix}-courier-requests")).send().await.unwrap();
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(url.queue_url().unwrap())
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy)
        .send()
        .await
        .unwrap();
    let policy = &attributes.attributes().unwrap()[&aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy];
    let policy: serde_json::Value = serde_json::from_str(policy).unwrap();
    assert!(policy["deadLetterTargetArn"].as_str().unwrap().ends_with(&format!("{prefix}-courier-requests-dlq")));
    assert_eq!(policy["maxReceiveCount"].to_string().trim_matches('"'), "5");

    server.reset().expect("moto resets");
    let gone = AwsShop::connect(&endpoint).await.err().expect("the reset removed everything");
    assert!(matches!(gone, ConnectError::Missing { kind: "table", .. }), "{gone}");
}

#[tokio::test]
async fn a_request_the_worker_cannot_read_stays_for_the_dead_letter_queue() {
    let endpoint = MotoServer::shared().fresh_endpoint();
    AwsShop::provision(&endpoint).await.unwrap();
    let shop = AwsShop::connect(&endpoint).await.unwrap();
    let (_, sqs, _) = clients(&endpoint, &Calls::default()).await.unwrap();
    let url = sqs.get_queue_url().queue_name(endpoint.names.courier_queue()).send().await.unwrap();
    let url = url.queue_url().unwrap();
    sqs.send_message().queue_url(url).message_body("{not a request").send().await.unwrap();
    let request = CourierRequest { token: TaskToken::new("tok-1").unwrap(), order: order(), deadline_ms: 99 };
    shop.send(&request).await.unwrap();

    assert_eq!(shop.take(10).await.unwrap(), [request], "only the request the worker can read");
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .unwrap();
    let in_flight = &attributes.attributes().unwrap()
        [&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible];
    assert_eq!(in_flight, "1", "the unreadable one was received, not deleted");
}

#[tokio::test]
async fn a_notice_carries_its_key_and_no_payment_data_and_a_superseded_one_is_not_sent() {
    let endpoint = MotoServer::shared().fresh_endpoint();
    AwsShop::provision(&endpoint).await.unwrap();
    let shop = AwsShop::connect(&endpoint).await.unwrap();
    let (_, sqs, sns) = clients(&endpoint, &Calls::default()).await.unwrap();
    // A courier app, as a queue subscribed to the topic.
    let app = sqs.create_queue().queue_name(format!("{}-app", endpoint.names.prefix)).send().await.unwrap();
    let app_url = app.queue_url().unwrap();
    let app_arn = sqs
        .get_queue_attributes()
        .queue_url(app_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes()
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    let topics = sns.list_topics().send().await.unwrap();
    let topic = topics
        .topics()
        .iter()
        .filter_map(|t| t.topic_arn())
        .find(|arn| arn.ends_with(&endpoint.names.courier_topic()))
        .unwrap();
    sns.subscribe()
        .topic_arn(topic)
        .protocol("sqs")
        .endpoint(app_arn)
        .attributes("RawMessageDelivery", "true")
        .send()
        .await
        .unwrap();

    let key = EffectKey::new(&CheckoutId::new("ck-9").unwrap(), Effect::NotifyCourier);
    let courier = CourierId::new("courier-4").unwrap();
    // A retried notice goes out again, and says it is the same one.
    shop.notify(Fence::from_stored(2), &key, &courier, &order()).await.unwrap();
    shop.notify(Fence::from_stored(2), &key, &courier, &order()).await.unwrap();
    let superseded = shop.notify(Fence::FIRST, &key, &courier, &order()).await;
    assert!(matches!(superseded, Err(PortError::Superseded(_))), "{superseded:?}");

    let received = sqs.receive_message().queue_url(app_url).max_number_of_messages(10).send().await.unwrap();
    let bodies: Vec<serde_json::Value> =
        received.messages().iter().map(|m| serde_json::from_str(m.body().unwrap()).unwrap()).collect();
    assert_eq!(bodies.len(), 2, "two notices, none from the superseded incarnation: {bodies:?}");
    assert_eq!(bodies[0], bodies[1]);
    let expected = serde_json::json!({
        "notifyKey": key.to_string(),
        "courier": "courier-4",
        "orderId": "o-7",
        "bookId": "b-2",
        "quantity": 2,
    });
    assert_eq!(bodies[0], expected, "what the courier needs, and nothing about the customer or payment");
}
