//! Money and points: checked arithmetic, and how amounts read in messages.

use checkout_domain::{AmountError, Money, Points};

#[test]
fn amounts_read_as_currency_and_points() {
    assert_eq!(Money::from_minor_units(1250).to_string(), "12.50");
    assert_eq!(Money::from_minor_units(7).to_string(), "0.07");
    assert_eq!(Points::new(5).to_string(), "5 points");
}

#[test]
fn arithmetic_that_has_no_answer_is_an_error() {
    let price = Money::from_minor_units(u64::MAX / 2 + 1);
    assert_eq!(price.times(2), Err(AmountError::Overflow { amount: u64::MAX / 2 + 1, factor: 2 }));
    let total = Money::from_minor_units(30);
    assert_eq!(total.less_points(Points::new(31)), Err(AmountError::PointsExceedTotal { points: 31, total: 30 }));
    assert_eq!(total.less_points(Points::new(30)), Ok(Money::ZERO));
}
