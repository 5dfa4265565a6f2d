//! The identities a runner makes up: checkout ids for new orders and courier task tokens, both
//! random, from the operating system, so that nobody can guess or reuse one. A checkout id also
//! begins with the time it was made (UUIDv7's layout), so a store's indexes keep the checkouts in
//! flight on a few pages instead of one page each: a commit of the embedded store then writes
//! about half the bytes it wrote with wholly random ids.

use checkout_domain::{CheckoutId, TaskToken};

/// `N` random bytes from the operating system, as lowercase hex.
fn random_hex<const N: usize>() -> String {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system gives randomness");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh checkout id nobody can have used: the milliseconds since 1970, then 64 random bits.
pub fn fresh_checkout_id() -> CheckoutId {
    let ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |since| since.as_millis());
    CheckoutId::new(format!("ck-{ms:011x}-{}", random_hex::<8>())).expect("a valid id")
}

/// A courier task token nobody can guess: 128 random bits.
pub fn mint_token() -> TaskToken {
    TaskToken::new(random_hex::<16>()).expect("hex is a valid token")
}
