//! The two DynamoDB calls every part of the shop makes alike: a write transaction, whose lost
//! race is an answer rather than an error, and a scan read to its last page.

use aws_sdk_dynamodb::operation::scan::builders::ScanFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::TransactWriteItem;

use crate::failure::{classify, describe, Failure};
use crate::items::Item;

/// What became of one write transaction.
pub enum Written {
    Done,
    /// A condition failed, or another transaction was in the way: nothing was written; read
    /// again and decide again.
    Lost,
}

/// Runs one write transaction.
pub async fn write(client: &aws_sdk_dynamodb::Client, writes: Vec<TransactWriteItem>) -> Result<Written, Failure> {
    match client.transact_write_items().set_transact_items(Some(writes)).send().await {
        Ok(_) => Ok(Written::Done),
        Err(e) => match e.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                let codes: Vec<&str> = cancelled.cancellation_reasons().iter().filter_map(|r| r.code()).collect();
                if codes.iter().all(|c| matches!(*c, "None" | "ConditionalCheckFailed" | "TransactionConflict")) {
                    Ok(Written::Lost)
                } else {
                    // Cancelled for another reason (a malformed item, throttling): nothing written.
                    Err(Failure::NotDone(format!("transaction cancelled ({}): {}", codes.join(", "), describe(&e))))
                }
            }
            _ => Err(classify(&e)),
        },
    }
}

/// Every item `scan` finds, over all its pages.
pub async fn scan_all(scan: ScanFluentBuilder) -> Result<Vec<Item>, Failure> {
    scan.consistent_read(true).into_paginator().items().send().try_collect().await.map_err(|e| classify(&e))
}
