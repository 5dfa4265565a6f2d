//! The checkout ports on AWS: DynamoDB keeps the shop (stock, points, funds, effect records,
//! fences, the order registry, checkout records and their journals), SQS carries courier
//! requests to the worker, SNS tells couriers to collect. [`AwsShop`] implements every port of
//! `checkout-ports` and passes the same conformance suite as the in-memory and SQLite shops.
//!
//! Where things are: [`resources`] is the one definition of the tables, queues and topic (used by
//! the tests, `checkout aws provision` and the deployment template); [`keyed`] runs the keyed
//! commands; [`repository`] keeps checkouts; [`courier`] is the queue and the topic; [`admin`]
//! stocks the shop and reads it back; [`failure`] sorts the SDK's errors; [`transact`] runs write
//! transactions and scans; `moto` and `ministack` (only in tests, and with the `emulators`
//! feature) start the two AWS emulators the tests run on.
//!
//! # How a keyed command runs
//! Like the SQLite shop, every command reads the part of the shop it touches into the domain's own
//! values, runs the domain's store rules on them, and writes back what changed, so the
//! keyed-store rules are never restated here. What DynamoDB adds is the write: one
//! `TransactWriteItems` whose conditions assert exactly what the decision read, and nothing more:
//!
//! - the effect record is still absent (`attribute_not_exists`), or still in the state read;
//! - a take that got all it asked for finds the balance still covers it (`balance >= :amount`),
//!   so concurrent takes of one book do not conflict while copies last; a take that got less (an
//!   up-to take of the last points, a shortfall) finds the balance exactly as read;
//! - the checkout's fence mark is not above the caller's (`mark <= :fence`), and is raised to it.
//!
//! When a condition fails, the transaction's `CancellationReasons` say which: a moved balance
//! or effect record is read again and decided again (a take that lost the last copies now finds
//! them gone and answers out of stock; a repeat that lost the race to its own key gets the first
//! answer); a raised fence is [`Superseded`](checkout_domain::fencing::Superseded); a
//! `TransactionConflict` is tried again after a short pause. moto ignores `ClientRequestToken`, and
//! DynamoDB honours it only for ten minutes, so idempotency comes from the effect records alone.
//!
//! # Tables
//! **`{prefix}-ledger`**, partition key `pk` (string):
//!
//! | `pk` | attributes | what it is |
//! |---|---|---|
//! | `account#{ledger}#{id}` | `balance` N, `held` N, `price` N (books) | an account of `stock`, `points` or `funds`: what can be taken, what effect keys hold |
//! | `entry#{ledger}#{key}` | `account` S, `rule` S, `rule_amount` N, `amount` N, `state` S, `checkout` S, `quote` N (stock) | what one effect key took (`taken`, `returned`) or a tombstone (`withdrawn`) |
//! | `fence#{checkout}` | `mark` N | the highest fence a command for the checkout carried |
//! | `notice#{key}` | `courier` S, `order` S | a courier told to collect |
//!
//! **`{prefix}-checkouts`**, partition key `pk`, sort key `sk` (strings):
//!
//! | `pk` | `sk` | attributes | what it is |
//! |---|---|---|---|
//! | checkout id | `record` | `fence` N, `record` S, `open` BOOL, `open_shard` S (until it ends) | the checkout as saved, with its latest claim |
//! | checkout id | `journal` | `steps` N | how many steps its journal has |
//! | checkout id | `step#{n:010}` | `at_ms` N, `step` S, `outcome` S, `phase` S, `attempt` N | one step |
//! | `order#{order id}` | `order` | `body` S, `checkout` S | the order registry |
//!
//! Its global secondary index `unfinished` (keys only) is sparse: partition key `open_shard`, one
//! of 8 values spread by checkout id, which a record carries only until its checkout ends. So
//! listing the checkouts to resume reads only those, not the whole table.
//!
//! Queues: `{prefix}-courier-requests` (standard, redrive to `{prefix}-courier-requests-dlq` after
//! 5 receives). Topic: `{prefix}-courier-notices`.

pub mod admin;
pub mod courier;
#[cfg(any(test, feature = "emulators"))]
pub mod deploy;
pub mod failure;
mod items;
pub mod keyed;
mod listing;
#[cfg(any(test, feature = "emulators"))]
pub mod ministack;
#[cfg(any(test, feature = "emulators"))]
pub mod moto;
pub mod repository;
pub mod resources;
mod shop;
pub mod transact;

pub use failure::ConnectError;
pub use resources::ResourceNames;
pub use shop::{clients, AwsShop, Calls, Endpoint};
