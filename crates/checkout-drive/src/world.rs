//! [`RealWorld`]: the world a drive runs in outside a model checker: the wall clock, optionally
//! sped up, and tokens and ids drawn from the operating system's randomness (see [`crate::ids`]).
//! A clock speed of 1000 makes the 15-minute courier deadline pass in under a second, which is
//! how tests and demos see deadlines without waiting for them. Time is the wall clock times the speed, so it only ever goes forward, also
//! across restarts.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use checkout_ports::Clock;

/// The real world, its clock running at a chosen speed.
#[derive(Clone, Copy, Debug)]
pub struct RealWorld {
    speed: u64,
}

impl RealWorld {
    /// A clock running `speed` times as fast as the wall clock (at least 1).
    pub fn new(speed: u64) -> RealWorld {
        RealWorld { speed: speed.max(1) }
    }

    /// How long to really wait for `ms` of this clock's time to pass.
    pub fn real(&self, ms: u64) -> Duration {
        Duration::from_micros(ms.saturating_mul(1000) / self.speed)
    }
}

impl Clock for RealWorld {
    fn now_ms(&self) -> u64 {
        let wall = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
        u64::try_from(wall).unwrap_or(u64::MAX).saturating_mul(self.speed)
    }
}

impl crate::World for RealWorld {
    fn real(&self, ms: u64) -> Duration {
        RealWorld::real(self, ms)
    }

    fn mint_token(&self) -> checkout_domain::TaskToken {
        crate::ids::mint_token()
    }

    fn fresh_checkout_id(&self) -> checkout_domain::CheckoutId {
        crate::ids::fresh_checkout_id()
    }
}
