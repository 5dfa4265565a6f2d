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
        // A uniform draw in [half, ceiling], the same for the same seed and failure count.
        let mut rng = fastrand::Rng::with_seed(seed ^ u64::from(failures).rotate_left(32));
        rng.u64(half..=ceiling)
    }
}
