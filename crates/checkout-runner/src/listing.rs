//! What an operator asks to list, as `checkout list` and `GET /checkouts` both take it: states
//! (or every state raised for an operator), how long a checkout has not moved, a page size and
//! the cursor of the page before. It becomes a `checkout_ports::listing::Listing` against the
//! clock, and every backend answers it from an index.

use checkout_domain::Phase;
use checkout_ports::listing::{Cursor, Listing};

/// The page size when none is asked for.
pub const DEFAULT_LIMIT: usize = 50;

/// What to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListRequest {
    /// These states, in this order; none: every state.
    pub states: Vec<Phase>,
    /// Also (or only, with no states) every state raised for an operator.
    pub raised: bool,
    /// Only checkouts that have not moved for this long.
    pub stuck_for_ms: Option<u64>,
    pub limit: Option<usize>,
    pub after: Option<Cursor>,
}

impl ListRequest {
    /// The listing at time `now_ms`.
    pub fn listing(&self, now_ms: u64) -> Listing {
        let mut phases = self.states.clone();
        if self.raised {
            phases.extend(Phase::RAISED.iter().filter(|p| !self.states.contains(p)));
        }
        Listing {
            phases,
            moved_before_ms: self.stuck_for_ms.map(|stuck| now_ms.saturating_sub(stuck)),
            after: self.after.clone(),
            limit: self.limit.unwrap_or(DEFAULT_LIMIT),
        }
    }
}

/// A duration as an operator writes it: a whole number with `s`, `m`, `h` or `d` (`90s`, `15m`,
/// `2h`, `1d`), in milliseconds.
pub fn duration_ms(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let unit_ms = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("{text:?} is not a duration such as 90s, 15m, 2h or 1d")),
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit_ms))
        .ok_or_else(|| format!("{text:?} is not a duration such as 90s, 15m, 2h or 1d"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_operators_write_them() {
        assert_eq!(duration_ms("90s"), Ok(90_000));
        assert_eq!(duration_ms("15m"), Ok(900_000));
        assert_eq!(duration_ms("2h"), Ok(7_200_000));
        assert_eq!(duration_ms("1d"), Ok(86_400_000));
        for bad in ["", "15", "m", "-1m", "1.5h", "15 minutes", "99999999999999999999d"] {
            assert!(duration_ms(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_raised_view_adds_both_raised_states_once() {
        let request = ListRequest { states: vec![Phase::NeedsOperator], raised: true, ..ListRequest::default() };
        assert_eq!(request.listing(0).phases, [Phase::NeedsOperator, Phase::NoticeUnconfirmed]);
        let stuck = ListRequest { stuck_for_ms: Some(600_000), ..ListRequest::default() };
        assert_eq!(stuck.listing(1_000_000).moved_before_ms, Some(400_000));
        assert_eq!(stuck.listing(1_000).moved_before_ms, Some(0), "never before the epoch");
    }
}
