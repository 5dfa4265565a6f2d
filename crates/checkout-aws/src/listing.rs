//! An operator's listing on DynamoDB: one phase's page read from the `by-phase` index
//! ([`BY_PHASE_INDEX`]), never a scan. Each of the phase's shards is queried for its first
//! checkouts after the cursor; their merge, in `(since_ms, checkout)` order, is the page.

use checkout_domain::{CheckoutId, OrderId, Phase};
use checkout_ports::listing::{Listed, PhaseQuery};
use checkout_ports::StorageError;

use crate::items::{s, Item, Reader};
use crate::resources::{BY_PHASE_INDEX, OPEN_SHARDS};
use crate::AwsShop;

/// The `by-phase` partition that lists checkout `id` while it is in `phase`.
pub(crate) fn phase_shard(phase: Phase, id: &CheckoutId) -> String {
    format!("{phase}#{}", crate::repository::shard(id))
}

/// The `by-phase` sort key: when it last moved, zero-padded so that strings sort as numbers,
/// then its id.
pub(crate) fn since_key(since_ms: u64, id: &CheckoutId) -> String {
    format!("{since_ms:020}#{id}")
}

fn storage(e: impl std::fmt::Display) -> StorageError {
    StorageError::Failed(e.to_string())
}

impl AwsShop {
    pub(crate) async fn list_phase(&self, query: &PhaseQuery) -> Result<Vec<Listed>, StorageError> {
        let after = query.after.as_ref().map(|after| since_key(after.since_ms, &after.checkout));
        let mut listed = Vec::new();
        for shard in 0..OPEN_SHARDS {
            let mut request = self
                .dynamodb
                .query()
                .table_name(self.names.checkouts_table())
                .index_name(BY_PHASE_INDEX.name)
                .expression_attribute_names("#shard", BY_PHASE_INDEX.partition_key)
                .expression_attribute_names("#since", BY_PHASE_INDEX.sort_key.expect("the index is sorted"))
                .expression_attribute_values(":shard", s(format!("{}#{shard}", query.phase)))
                // Every key starts with a digit: "0" is below them all (a key value is never empty).
                .expression_attribute_values(":after", s(after.clone().unwrap_or_else(|| "0".into())))
                // One more than the page: the cursor's own item may be among them (`BETWEEN`
                // includes its ends).
                .limit(i32::try_from(query.limit + 1).unwrap_or(i32::MAX));
            request = match query.moved_before_ms {
                // Every key of a checkout that moved at `before` or later sorts after this one.
                Some(before) => request
                    .key_condition_expression("#shard = :shard AND #since BETWEEN :after AND :before")
                    .expression_attribute_values(":before", s(format!("{before:020}"))),
                None => request.key_condition_expression("#shard = :shard AND #since > :after"),
            };
            let page = request.send().await.map_err(|e| storage(crate::failure::describe(&e)))?;
            for item in page.items() {
                listed.push(listed_item(query.phase, item)?);
            }
        }
        listed.retain(|l| query.after.as_ref().is_none_or(|after| l.position() > *after));
        listed.sort_by_key(Listed::position);
        listed.truncate(query.limit);
        Ok(listed)
    }
}

fn listed_item(phase: Phase, item: &Item) -> Result<Listed, StorageError> {
    let r = Reader::new("by-phase", item);
    let checkout = CheckoutId::new(r.s("pk").map_err(storage)?).map_err(storage)?;
    let since = r.s("since").map_err(storage)?;
    let since_ms =
        since.split('#').next().and_then(|ms| ms.parse().ok()).ok_or_else(|| {
            storage(format!("checkout {checkout}'s listing key {since:?} does not start with a time"))
        })?;
    let order = OrderId::new(r.s("order_id").map_err(storage)?).map_err(storage)?;
    Ok(Listed { checkout, order, phase, since_ms })
}
