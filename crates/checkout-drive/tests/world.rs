//! What a drive takes from its world: the scaled clock, the identities it mints, and the
//! simulated courier service's decisions.

use std::collections::HashSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use checkout_domain::{CourierId, Order, TaskToken};
use checkout_drive::courier::{answer, WorkerBehaviour};
use checkout_drive::world::RealWorld;
use checkout_drive::{ids, CourierAnswer, World};
use checkout_ports::{Clock, CourierRequest};

#[test]
fn a_scaled_clock_runs_its_speed_times_as_fast_as_the_wall_clock() {
    let clock = RealWorld::new(1_000);
    assert_eq!(clock.real(1_000), Duration::from_millis(1), "a second of its time is a real millisecond");
    assert_eq!(World::real(&clock, 15 * 60 * 1_000), Duration::from_millis(900));
    assert_eq!(RealWorld::new(0).real(7), Duration::from_millis(7), "a speed below 1 is 1");
    let wall = |at: SystemTime| at.duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
    let before = wall(SystemTime::now());
    let now = clock.now_ms();
    let after = wall(SystemTime::now());
    assert!((before * 1_000..=after * 1_000).contains(&now), "{before} {now} {after}");
}

#[test]
fn minted_identities_are_random_and_shaped_as_documented() {
    let tokens: HashSet<String> = (0..100).map(|_| ids::mint_token().as_str().to_string()).collect();
    assert_eq!(tokens.len(), 100, "no token repeats");
    assert!(tokens.iter().all(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit())), "{tokens:?}");
    let checkouts: HashSet<String> = (0..100).map(|_| ids::fresh_checkout_id().as_str().to_string()).collect();
    assert_eq!(checkouts.len(), 100, "no checkout id repeats");
    let clock = RealWorld::new(1);
    let minted = World::fresh_checkout_id(&clock);
    let parts: Vec<&str> = minted.as_str().split('-').collect();
    assert_eq!(parts.len(), 3, "{minted}");
    assert_eq!(parts[0], "ck");
    let made_ms = u64::from_str_radix(parts[1], 16).unwrap();
    assert!(made_ms.abs_diff(clock.now_ms()) < 60_000, "it begins with the time it was made: {minted}");
    assert_eq!(parts[2].len(), 16);
    assert_ne!(World::mint_token(&clock), World::mint_token(&clock));
}

fn request(book: &str) -> CourierRequest {
    let order =
        Order::from_json(&format!(r#"{{"orderId":"o-1","bookId":"{book}","userId":"u-1","quantity":1}}"#)).unwrap();
    CourierRequest { token: TaskToken::new("t-1").unwrap(), order, deadline_ms: 0 }
}

#[test]
fn the_courier_service_answers_at_the_rates_asked_for() {
    let mut rng = fastrand::Rng::with_seed(7);
    let reliable = WorkerBehaviour::default();
    let assigned = answer(&request("b-1"), &mut rng, reliable);
    assert_eq!(assigned, Some(CourierAnswer::Assigned(CourierId::new("courier-4").unwrap())), "b-1: 3 % 7 + 1");
    assert_eq!(answer(&request("b-1"), &mut rng, reliable), assigned, "one book, one courier");
    let lossy = WorkerBehaviour { loss_rate: 1.0, ..reliable };
    let busy = WorkerBehaviour { failure_rate: 1.0, ..reliable };
    for _ in 0..100 {
        assert_eq!(answer(&request("b-1"), &mut rng, lossy), None);
        assert!(matches!(answer(&request("b-1"), &mut rng, busy), Some(CourierAnswer::Unavailable(_))));
        assert!(matches!(answer(&request("b-1"), &mut rng, reliable), Some(CourierAnswer::Assigned(_))));
    }
    let half = WorkerBehaviour { loss_rate: 0.5, ..reliable };
    let lost = (0..1_000).filter(|_| answer(&request("b-1"), &mut rng, half).is_none()).count();
    assert!((400..600).contains(&lost), "about half lost: {lost}");
}
