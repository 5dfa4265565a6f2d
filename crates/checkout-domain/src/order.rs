//! Validated checkout input: the order a customer places, parsed from the JSON a Step Functions
//! execution (or any other front end) starts with. Nothing downstream sees unvalidated data: every
//! id, quantity and flag here has already been checked, so the saga never has to.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::excerpt::excerpt;
use crate::names::wire_name;

/// Why an order could not be accepted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OrderError {
    #[error("order is not valid JSON of the expected shape: {detail}")]
    Malformed { detail: String },
    #[error("{field} is empty")]
    EmptyId { field: IdField },
    #[error("{field} is {len} bytes long; at most {MAX_ID_LEN} are allowed")]
    IdTooLong { field: IdField, len: usize },
    #[error("{field} contains {found:?}; only ASCII letters, digits, '-', '_' and '.' are allowed")]
    IdCharacter { field: IdField, found: char },
    #[error("quantity must be a whole number from 1 to {MAX_QUANTITY}, got {got}")]
    Quantity { got: String },
}

/// The most copies one order may ask for; larger numbers are treated as input mistakes.
pub const MAX_QUANTITY: u32 = 100;
/// The longest id accepted, in bytes; ids become storage keys and message attributes.
pub const MAX_ID_LEN: usize = 64;

/// Which id field a value belongs to, so that errors can name it as the order's JSON does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum IdField {
    CheckoutId,
    OrderId,
    BookId,
    UserId,
    CourierId,
}

impl fmt::Display for IdField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&wire_name(self, None))
    }
}

/// Checks an id: non-empty, at most [`MAX_ID_LEN`] bytes, ASCII letters, digits, `-`, `_`, `.`.
/// The character set keeps ids safe to embed in idempotency keys, which use `:` as separator.
fn validate_id(field: IdField, value: &str) -> Result<(), OrderError> {
    if value.is_empty() {
        return Err(OrderError::EmptyId { field });
    }
    if value.len() > MAX_ID_LEN {
        return Err(OrderError::IdTooLong { field, len: value.len() });
    }
    if let Some(bad) = value.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))) {
        return Err(OrderError::IdCharacter { field, found: bad });
    }
    Ok(())
}

// Ids are shared, not copied, when a checkout is cloned: the model checker clones states by the
// million, and an id never changes once validated.
macro_rules! validated_id {
    ($(#[$doc:meta])* $name:ident, $field:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[A-Za-z0-9._-]{1,64}$"))]
        pub struct $name(Arc<str>);

        impl $name {
            /// Validates `value` as this kind of id.
            pub fn new(value: impl Into<String>) -> Result<Self, OrderError> {
                let value = value.into();
                validate_id($field, &value)?;
                Ok(Self(value.into()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = OrderError;
            fn try_from(value: String) -> Result<Self, OrderError> {
                Self::new(value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0.to_string()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

validated_id!(
    /// The id of one checkout, issued when its order is accepted. Every idempotency key and task
    /// token derives from it, so two checkouts never share an effect, whatever their orders say.
    CheckoutId,
    IdField::CheckoutId
);
validated_id!(
    /// The client's id for an order. An order registry admits each once: the same order again
    /// gets the same checkout, and another order under a known id is refused.
    OrderId,
    IdField::OrderId
);
validated_id!(
    /// The id of a book in the inventory table.
    BookId,
    IdField::BookId
);
validated_id!(
    /// The id of the customer, who owns the loyalty points and pays.
    UserId,
    IdField::UserId
);
validated_id!(
    /// The id of the courier the preparation worker assigned.
    CourierId,
    IdField::CourierId
);

/// How many copies an order asks for: always `1..=MAX_QUANTITY`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u32")]
pub struct Quantity(u32);

impl Quantity {
    pub fn new(value: u64) -> Result<Self, OrderError> {
        match u32::try_from(value) {
            Ok(q) if (1..=MAX_QUANTITY).contains(&q) => Ok(Quantity(q)),
            _ => Err(OrderError::Quantity { got: value.to_string() }),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<u64> for Quantity {
    type Error = OrderError;
    fn try_from(value: u64) -> Result<Self, OrderError> {
        Quantity::new(value)
    }
}

impl From<Quantity> for u32 {
    fn from(q: Quantity) -> u32 {
        q.0
    }
}

/// A validated order. Built only by [`Order::new`] or by parsing, so every instance is valid.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "OrderInput", into = "OrderInput")]
pub struct Order {
    id: OrderId,
    book: BookId,
    user: UserId,
    quantity: Quantity,
    redeem_points: bool,
}

/// The wire shape of an order, before validation. Quantity is kept as a raw JSON number so that
/// negative, fractional and oversized values get our own error instead of serde's.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(as = Order, example = json!({"orderId": "o-1", "bookId": "b-dune", "userId": "u-ada", "quantity": 2, "redeem": true}))
)]
struct OrderInput {
    #[cfg_attr(feature = "openapi", schema(value_type = OrderId))]
    order_id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = BookId))]
    book_id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = UserId))]
    user_id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = u32, minimum = 1, maximum = 100))]
    quantity: serde_json::Number,
    #[serde(default)]
    redeem: bool,
}

impl TryFrom<OrderInput> for Order {
    type Error = OrderError;
    fn try_from(input: OrderInput) -> Result<Self, OrderError> {
        let quantity = match input.quantity.as_u64() {
            Some(n) => Quantity::new(n)?,
            None => {
                return Err(OrderError::Quantity { got: excerpt(&input.quantity.to_string()) });
            }
        };
        Ok(Order {
            id: OrderId::new(input.order_id)?,
            book: BookId::new(input.book_id)?,
            user: UserId::new(input.user_id)?,
            quantity,
            redeem_points: input.redeem,
        })
    }
}

impl From<Order> for OrderInput {
    fn from(order: Order) -> Self {
        OrderInput {
            order_id: order.id.into(),
            book_id: order.book.into(),
            user_id: order.user.into(),
            quantity: order.quantity.get().into(),
            redeem: order.redeem_points,
        }
    }
}

/// An order's schema is its wire shape's.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Order {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <OrderInput as utoipa::PartialSchema>::schema()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Order {
    fn name() -> std::borrow::Cow<'static, str> {
        "Order".into()
    }
}

impl Order {
    pub fn new(id: OrderId, book: BookId, user: UserId, quantity: Quantity, redeem_points: bool) -> Self {
        Order { id, book, user, quantity, redeem_points }
    }

    /// Parses and validates an order from JSON such as
    /// `{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":2,"redeem":true}`.
    pub fn from_json(json: &str) -> Result<Order, OrderError> {
        let input: OrderInput =
            serde_json::from_str(json).map_err(|e| OrderError::Malformed { detail: excerpt(&e.to_string()) })?;
        Order::try_from(input)
    }

    /// The order as its JSON body, as [`Order::from_json`] reads it.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an order always serializes")
    }

    pub fn id(&self) -> &OrderId {
        &self.id
    }
    pub fn book(&self) -> &BookId {
        &self.book
    }
    pub fn user(&self) -> &UserId {
        &self.user
    }
    pub fn quantity(&self) -> Quantity {
        self.quantity
    }
    /// Whether the customer asked to pay part of the total with loyalty points.
    pub fn redeem_points(&self) -> bool {
        self.redeem_points
    }
}
