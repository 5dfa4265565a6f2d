//! How long to wait before calling again: exponential in the attempts so far, capped, and spread
//! by a jitter drawn from a seed, so that many checkouts failing at once do not retry in step.

/// An exponential backoff with a cap and seeded jitter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The wait after the first failure, before jitter.
    pub first_ms: u64,
    /// The longest wait, before jitter.
    pub cap_ms: u64,
}

impl Backoff {
    /// The wait after `failures` failed attempts (at least 1): `first_ms * 2^(failures-1)`, at most
    /// `cap_ms`, then scaled by a jitter in [1/2, 1] drawn from `seed` and `failures`.
    pub fn delay_ms(self, failures: u32, seed: u64) -> u64 {
        let doublings = failures.saturating_sub(1).min(63);
        let ceiling = self.first_ms.saturating_mul(1u64 << doublings).min(self.cap_ms);
        let half = ceiling / 2;
        // A uniform draw in [0, ceiling - half], the same for the same seed and failure count.
        let spread = (ceiling - half).saturating_add(1);
        half + mix(seed ^ u64::from(failures)) % spread
    }
}

/// splitmix64's finaliser: a well-spread 64-bit hash of `x`, which is all jitter needs.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}
