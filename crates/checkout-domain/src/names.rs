//! The names serde gives enum variants, read back from serde itself so that a name written in a
//! log, an error or a trace is always the one on the wire, never a hand-kept copy.

use serde::Serialize;

/// The wire name of a unit variant (`Phase::StockReserved` is `"stock-reserved"`), or, with `tag`,
/// the tag of a variant of an internally tagged enum (`Event::Refunded(..)` is `"refunded"`).
pub(crate) fn wire_name<T: Serialize>(value: &T, tag: Option<&str>) -> String {
    let value = serde_json::to_value(value).ok();
    let name = match (&value, tag) {
        (Some(serde_json::Value::String(name)), None) => Some(name.as_str()),
        (Some(serde_json::Value::Object(fields)), Some(tag)) => fields.get(tag).and_then(|v| v.as_str()),
        _ => None,
    };
    name.unwrap_or("?").to_string()
}
