//! The DynamoDB calls every part of the shop makes alike: a read of several items as of one
//! moment, a write transaction whose lost race is an answer rather than an error (and the pause
//! before deciding again), and a scan read to its last page.

use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::scan::builders::ScanFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use std::time::Duration;

use aws_sdk_dynamodb::types::{Get, TransactGetItem, TransactWriteItem};

use crate::failure::{classify, describe, Failure};
use crate::items::Item;

/// How many times a call is read and decided again after losing a race, before it is reported
/// as not done (no round wrote anything).
pub const ROUNDS: u32 = 200;

/// Waits before round `round` (not before the first): a little longer as the race goes on, and
/// jittered, so that contenders spread out.
pub async fn pause(round: u32) {
    if round > 0 {
        let cap = 2u64.saturating_pow(round.min(6));
        tokio::time::sleep(Duration::from_millis(fastrand::u64(0..=cap))).await;
    }
}

/// Reads the items named by `keys` (a table and an item's key each) as of one moment: one
/// answer per key, in order, `None` for an item that does not exist.
pub async fn read(client: &aws_sdk_dynamodb::Client, keys: Vec<(String, Item)>) -> Result<Vec<Option<Item>>, Failure> {
    let count = keys.len();
    let mut request = client.transact_get_items();
    for (table, key) in keys {
        let get = Get::builder()
            .table_name(table)
            .set_key(Some(key))
            .build()
            .map_err(|e| Failure::NotDone(format!("a read could not be built: {e}")))?;
        request = request.transact_items(TransactGetItem::builder().get(get).build());
    }
    let output = request.send().await.map_err(|e| classify(&e))?;
    let responses = output.responses();
    if responses.len() != count {
        return Err(Failure::Unknown(format!("asked for {count} items, got {} answers", responses.len())));
    }
    Ok(responses.iter().map(|r| r.item().cloned()).collect())
}

/// One item by its key, read strongly consistent: a GetItem, for a lookup that reads one item
/// (a transaction of one read costs twice as much).
pub async fn get(client: &aws_sdk_dynamodb::Client, table: String, key: Item) -> Result<Option<Item>, Failure> {
    let output = client
        .get_item()
        .table_name(table)
        .set_key(Some(key))
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| classify(&e))?;
    Ok(output.item)
}

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

/// Every item `query` finds, over all its pages.
pub async fn query_all(query: QueryFluentBuilder) -> Result<Vec<Item>, Failure> {
    query.into_paginator().items().send().try_collect().await.map_err(|e| classify(&e))
}

/// Every item `scan` finds, over all its pages.
pub async fn scan_all(scan: ScanFluentBuilder) -> Result<Vec<Item>, Failure> {
    scan.consistent_read(true).into_paginator().items().send().try_collect().await.map_err(|e| classify(&e))
}
