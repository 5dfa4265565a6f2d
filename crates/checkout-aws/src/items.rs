//! DynamoDB items as maps of attributes: building them and reading them back, with one error for
//! an item no code of ours could have written.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

pub type Item = HashMap<String, AttributeValue>;

/// An item that no code of ours could have written (a missing or malformed attribute).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("corrupt item {pk}: {what}")]
pub struct Corrupt {
    pub pk: String,
    pub what: String,
}

pub fn s(text: impl Into<String>) -> AttributeValue {
    AttributeValue::S(text.into())
}

pub fn n(number: u64) -> AttributeValue {
    AttributeValue::N(number.to_string())
}

/// A signed number, for `ADD` of a give-back or a take.
pub fn signed(number: i128) -> AttributeValue {
    AttributeValue::N(number.to_string())
}

/// Reads the attributes of one item.
pub struct Reader<'a> {
    pub pk: &'a str,
    pub item: &'a Item,
}

impl<'a> Reader<'a> {
    pub fn new(pk: &'a str, item: &'a Item) -> Reader<'a> {
        Reader { pk, item }
    }

    pub fn corrupt(&self, what: impl Into<String>) -> Corrupt {
        Corrupt { pk: self.pk.to_string(), what: what.into() }
    }

    pub fn opt_s(&self, name: &str) -> Result<Option<&'a str>, Corrupt> {
        match self.item.get(name) {
            None => Ok(None),
            Some(AttributeValue::S(text)) => Ok(Some(text)),
            Some(other) => Err(self.corrupt(format!("{name} is {other:?}, not a string"))),
        }
    }

    pub fn s(&self, name: &str) -> Result<&'a str, Corrupt> {
        self.opt_s(name)?.ok_or_else(|| self.corrupt(format!("no {name}")))
    }

    pub fn opt_n(&self, name: &str) -> Result<Option<u64>, Corrupt> {
        match self.item.get(name) {
            None => Ok(None),
            Some(AttributeValue::N(text)) => {
                text.parse().map(Some).map_err(|_| self.corrupt(format!("{name} is {text}, not a count")))
            }
            Some(other) => Err(self.corrupt(format!("{name} is {other:?}, not a number"))),
        }
    }

    pub fn n(&self, name: &str) -> Result<u64, Corrupt> {
        self.opt_n(name)?.ok_or_else(|| self.corrupt(format!("no {name}")))
    }
}
