//! Any bytes as a persisted checkout: loading never panics, and a record that loads saves back
//! to a record that loads as the same state.
#![no_main]

use checkout_domain::CheckoutState;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(state) = CheckoutState::from_json(text) {
        let saved = state.to_json();
        assert_eq!(CheckoutState::from_json(&saved).as_ref(), Ok(&state));
    }
});
