//! The courier's side of the shop: requests travel to the worker over SQS, and the assigned
//! courier is told to collect over SNS.
//!
//! A request is deleted from the queue once the worker has read it; one the worker cannot read
//! stays, and after [`MAX_RECEIVES`](crate::resources::MAX_RECEIVES) receives goes to the
//! dead-letter queue. A request delivered twice is harmless: its reply carries the wait's token,
//! and a checkout accepts one reply per wait. A notice goes out at least once: the fence check and
//! the notice record are written first (so a superseded orchestrator sends nothing), then the
//! message is published, again on every retry; it carries its notify key, so a courier's app drops
//! a repeat.

use async_trait::async_trait;
use aws_sdk_sns::types::MessageAttributeValue;
use aws_sdk_sqs::types::DeleteMessageBatchRequestEntry;
use checkout_domain::fencing::Fence;
use checkout_domain::protocol::CallError;
use checkout_domain::{Command, CourierId, EffectKey, Order};
use checkout_ports::{CourierInbox, CourierQueue, CourierRequest, Notifier, PortError, StorageError};
use serde_json::json;

use crate::failure::classify;
use crate::AwsShop;

/// A courier request as the queue carries it.
pub fn request_body(request: &CourierRequest) -> String {
    serde_json::to_string(request).expect("a courier request is plain JSON")
}

/// A courier request read back from the queue, or why it cannot be.
pub fn parse_request(body: &str) -> Result<CourierRequest, serde_json::Error> {
    serde_json::from_str(body)
}

/// What a courier is told: where to collect what, and nothing about payment.
pub fn notice_body(key: &EffectKey, courier: &CourierId, order: &Order) -> String {
    json!({
        "notifyKey": key.to_string(),
        "courier": courier.as_str(),
        "orderId": order.id().as_str(),
        "bookId": order.book().as_str(),
        "quantity": order.quantity().get(),
    })
    .to_string()
}

#[async_trait]
impl CourierQueue for AwsShop {
    async fn send(&self, request: &CourierRequest) -> Result<(), CallError> {
        self.sqs
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(request_body(request))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify(&e).into())
    }
}

#[async_trait]
impl CourierInbox for AwsShop {
    async fn take(&self, max: usize) -> Result<Vec<CourierRequest>, StorageError> {
        let mut taken = Vec::new();
        while taken.len() < max {
            let batch = i32::try_from((max - taken.len()).min(10)).unwrap_or(10);
            let received = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(batch)
                .visibility_timeout(crate::resources::RUNNER_VISIBILITY_TIMEOUT_S as i32)
                .wait_time_seconds(0)
                .send()
                .await
                .map_err(|e| StorageError::from(classify(&e)))?;
            let messages = received.messages();
            let drained = messages.len() < batch as usize;
            let mut done = Vec::new();
            for (i, message) in messages.iter().enumerate() {
                // A request the worker cannot read is left for the dead-letter queue.
                if let Ok(request) = parse_request(message.body().unwrap_or_default()) {
                    taken.push(request);
                    let entry = DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(message.receipt_handle().unwrap_or_default())
                        .build()
                        .map_err(|e| StorageError::Failed(e.to_string()))?;
                    done.push(entry);
                }
            }
            if !done.is_empty() {
                self.sqs
                    .delete_message_batch()
                    .queue_url(&self.queue_url)
                    .set_entries(Some(done))
                    .send()
                    .await
                    .map_err(|e| StorageError::from(classify(&e)))?;
            }
            // Fewer than asked for: the queue has nothing more now; no need to ask again.
            if drained {
                break;
            }
        }
        Ok(taken)
    }
}

#[async_trait]
impl Notifier for AwsShop {
    async fn notify(&self, fence: Fence, key: &EffectKey, courier: &CourierId, order: &Order) -> Result<(), PortError> {
        let command = Command::NotifyCourier { key: key.clone(), courier: courier.clone(), order: order.clone() };
        self.keyed(fence, &command, 0).await?;
        let attribute = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(key.to_string())
            .build()
            .map_err(|e| PortError::Call(CallError::NotDone(e.to_string())))?;
        self.sns
            .publish()
            .topic_arn(&self.topic_arn)
            .message(notice_body(key, courier, order))
            .message_attributes("notify-key", attribute)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| PortError::Call(classify(&e).into()))
    }
}
