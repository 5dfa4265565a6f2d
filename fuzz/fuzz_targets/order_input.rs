//! Any bytes as an order: parsing never panics, and an accepted order survives a JSON round trip.
#![no_main]

use checkout_domain::Order;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(order) = Order::from_json(text) {
        let json = serde_json::to_string(&order).expect("an order serializes");
        assert_eq!(Order::from_json(&json).as_ref(), Ok(&order));
    }
});
