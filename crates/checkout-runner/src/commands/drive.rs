//! What every command that drives checkouts (`run`, `serve`) takes: the shop, its clock, the
//! lease, the faults to inject; and the runner it makes of them.

use std::sync::Arc;

use checkout_drive::courier::WorkerBehaviour;
use checkout_drive::world::RealWorld;
use checkout_drive::Driver;
use checkout_engine::{Engine, Policy};
use checkout_ports::Shop;
use checkout_sqlite::Durability;
use clap::Args;

use crate::backend::ShopArgs;
use crate::faults::{FaultRates, Faulty};

/// What every command that drives checkouts needs: the shop, its clock and the faults.
#[derive(Debug, Args)]
pub struct DriveArgs {
    #[command(flatten)]
    pub shop: ShopArgs,
    /// Never wait for fsync, not even before answering a client: survives the process being
    /// killed, not a power cut.
    #[arg(long)]
    no_fsync: bool,
    /// How much faster than the wall clock the saga's clock runs (1000: the 15-minute courier
    /// deadline passes in 0.9 s). Every process on one database must run at the same speed.
    #[arg(long, default_value_t = 1)]
    clock_speed: u64,
    /// Seeds the injected faults and the backoff jitter.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// How long, in real milliseconds, this process holds a checkout it drives without renewing
    /// its lease. A `serve` takes over the checkouts of a runner that has not renewed for that
    /// long (it died, or lost the database); a shorter lease takes over sooner, and renews more
    /// often (every third of it).
    #[arg(long, default_value_t = checkout_drive::leases::DEFAULT_LEASE_MS, value_parser = clap::value_parser!(u64).range(30..))]
    lease_ms: u64,
    #[command(flatten)]
    pub faults: FaultArgs,
}

/// Faults to inject, each a probability per call.
#[derive(Debug, Args)]
pub struct FaultArgs {
    /// A store call fails before taking effect.
    #[arg(long, default_value_t = 0.0, value_parser = probability)]
    transient: f64,
    /// A store call takes effect and its reply is lost.
    #[arg(long, default_value_t = 0.0, value_parser = probability)]
    lost_replies: f64,
    /// A charge is declined for good.
    #[arg(long, default_value_t = 0.0, value_parser = probability)]
    declines: f64,
    /// A refund is refused for good (a closed card): the checkout is raised for an operator.
    #[arg(long, default_value_t = 0.0, value_parser = probability)]
    refused_refunds: f64,
    /// The courier notice is refused for good: the checkout is raised for an operator.
    #[arg(long, default_value_t = 0.0, value_parser = probability)]
    refused_notices: f64,
    /// The courier worker finds no courier.
    #[arg(long, default_value_t = 0.0, value_parser = probability)]
    courier_failures: f64,
    /// The courier worker's answer is lost.
    #[arg(long, default_value_t = 0.0, value_parser = probability)]
    courier_losses: f64,
    /// How long the courier worker takes, in milliseconds.
    #[arg(long, default_value_t = 20)]
    courier_delay_ms: u64,
}

/// A probability, from 0 to 1.
pub fn probability(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("{text} is not a probability from 0 to 1")),
    }
}

impl DriveArgs {
    pub fn durability(&self) -> Durability {
        if self.no_fsync {
            Durability::NoFsync
        } else {
            Durability::Fsync
        }
    }

    /// The runner over the shop, with the faults asked for.
    pub fn runner<S: Shop>(&self, shop: S) -> Arc<Driver<Faulty<S>>> {
        let faults = &self.faults;
        let rates = FaultRates {
            transient: faults.transient,
            lost_reply: faults.lost_replies,
            decline: faults.declines,
            refused_refund: faults.refused_refunds,
            refused_notice: faults.refused_notices,
        };
        let engine = Engine::new(Policy::default(), self.seed);
        let shop = Arc::new(Faulty::new(shop, rates, self.seed));
        let clock = RealWorld::new(self.clock_speed);
        // The lease is given in real time (a process's liveness); the runner counts in its clock's.
        let lease_ms = self.lease_ms.saturating_mul(self.clock_speed.max(1));
        Arc::new(Driver::new(shop, engine, clock).with_lease_ms(lease_ms))
    }

    /// How the in-process courier worker behaves.
    pub fn courier(&self) -> WorkerBehaviour {
        WorkerBehaviour {
            delay_ms: self.faults.courier_delay_ms,
            failure_rate: self.faults.courier_failures,
            loss_rate: self.faults.courier_losses,
        }
    }
}
