//! The model's invariants, checked on a real shop: every copy, point and cent accounted for (each
//! account has in all what the operator journal supplied it, and what checkouts hold adds up), every
//! ended checkout whole or fully given back (or its refusal named), nothing waiting past its
//! deadline. A checkout an operator resolved is held to what it was raised with, and what its
//! keys still hold is counted as settled by hand. `checkout audit` prints the findings and fails
//! if there are any.

use std::collections::BTreeMap;

use checkout_domain::operation::Supplied;
use checkout_domain::states::{Compensation, Raised};
use checkout_domain::{CheckoutState, Phase};
use checkout_ports::{Held, Shop, StorageError};

/// What the audit found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Checkouts per phase.
    pub phases: BTreeMap<Phase, usize>,
    /// One line per problem, naming the order and checkout.
    pub findings: Vec<String>,
    /// What resolved checkouts' keys still hold: given back, or collected, outside the shop.
    pub by_hand: ByHand,
}

/// What operators settled by hand, in all, as the stores still hold it under resolved
/// checkouts' keys.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ByHand {
    /// Resolved checkouts.
    pub checkouts: usize,
    /// Of what they hold, what was given back outside the shop.
    pub given_back: Held,
    /// Of what they hold, what went out with a courier who confirmed the collection.
    pub went_out: Held,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.findings.is_empty()
    }
}

fn name(checkout: &CheckoutState) -> String {
    format!("order {} (checkout {})", checkout.order().id(), checkout.id())
}

/// Audits the shop at time `now_ms`; with `all_ended`, a checkout still running is a finding.
pub async fn audit<S: Shop>(shop: &S, now_ms: u64, all_ended: bool) -> Result<Report, StorageError> {
    let mut report = Report::default();
    let balances = shop.balances().await?;
    let mut stock_held = BTreeMap::new();
    let mut funds_held = BTreeMap::new();
    let mut points_held = BTreeMap::new();
    // The records first, then what their keys hold: a checkout that moves in between has taken
    // more than its record says, never less, and only an ended record is held to its keys.
    let checkouts = shop.checkouts().await?;
    let held_by_checkout = shop.held_by_checkout().await?;
    for checkout in checkouts {
        *report.phases.entry(checkout.phase()).or_default() += 1;
        let held = held_by_checkout.get(checkout.id()).copied().unwrap_or_default();
        let order = checkout.order();
        *stock_held.entry(order.book().clone()).or_insert(0u64) += held.stock;
        *funds_held.entry(order.user().clone()).or_insert(0u64) += held.money;
        *points_held.entry(order.user().clone()).or_insert(0u64) += held.points;
        let quantity = u64::from(order.quantity().get());
        let named = |c: Compensation| checkout.unreturned().iter().any(|u| u.compensation == c);
        // A resolved checkout is held to the state it was raised in: the resolution moved nothing.
        let raised_as = match &checkout {
            CheckoutState::Resolved(resolved) => {
                report.by_hand.checkouts += 1;
                let tally = if resolved.resolution().went_out() {
                    &mut report.by_hand.went_out
                } else {
                    &mut report.by_hand.given_back
                };
                (tally.stock, tally.money, tally.points) =
                    (tally.stock + held.stock, tally.money + held.money, tally.points + held.points);
                match resolved.raised() {
                    Raised::Compensation(_) => Phase::NeedsOperator,
                    Raised::Notice(_) => Phase::NoticeUnconfirmed,
                }
            }
            other => other.phase(),
        };
        match raised_as {
            // A checkout whose courier notice is unconfirmed keeps everything, as a dispatched
            // one does, until an operator settles it.
            Phase::Dispatched | Phase::NoticeUnconfirmed => {
                let pricing = checkout.pricing().expect("a checkout past its charge has its price");
                let whole = (held.stock, held.money, held.points)
                    == (quantity, pricing.amount_due.minor_units(), pricing.points_redeemed.get());
                if !whole {
                    report.findings.push(format!(
                        "{} is {} but holds {} copies, {} charged and {} points, not {quantity}, {} and {}",
                        name(&checkout),
                        checkout.phase(),
                        held.stock,
                        held.money,
                        held.points,
                        pricing.amount_due.minor_units(),
                        pricing.points_redeemed.get()
                    ));
                }
            }
            Phase::Rejected | Phase::Compensated | Phase::NeedsOperator => {
                let silent = [
                    (held.stock, Compensation::ReleaseStock, "copies"),
                    (held.points, Compensation::RestorePoints, "points"),
                    (held.money, Compensation::Refund, "charged"),
                ]
                .into_iter()
                .filter(|(amount, c, _)| *amount != 0 && !named(*c))
                .map(|(amount, _, what)| format!("{amount} {what}"))
                .collect::<Vec<_>>();
                if !silent.is_empty() {
                    report.findings.push(format!(
                        "{} ended {} but still holds {}",
                        name(&checkout),
                        checkout.phase(),
                        silent.join(", ")
                    ));
                }
            }
            _ if all_ended => {
                report.findings.push(format!("{} has not ended: it is {}", name(&checkout), checkout.phase()))
            }
            _ => {}
        }
        if let Some(wait) = checkout.courier_wait() {
            if wait.deadline_ms < now_ms {
                report.findings.push(format!("{} waits for a courier past its deadline", name(&checkout)));
            }
        }
    }
    let journal = shop.operations().await?;
    let supplied = Supplied::of(journal.iter().map(|recorded| &recorded.operation));
    supplied_as_journaled(&mut report, "copies of", &balances.stock, &balances.held.stock, &supplied.copies);
    supplied_as_journaled(&mut report, "funds of", &balances.funds, &balances.held.funds, &supplied.funds);
    supplied_as_journaled(&mut report, "points of", &balances.points, &balances.held.points, &supplied.points);
    conserved(&mut report, "copies of", &stock_held, &balances.held.stock);
    conserved(&mut report, "funds of", &funds_held, &balances.held.funds);
    conserved(&mut report, "points of", &points_held, &balances.held.points);
    Ok(report)
}

/// Whether each account has in all (what can be taken, and what keys hold) what the operator
/// journal gave it: nothing made or lost outside a checkout, and nothing set over a sale.
fn supplied_as_journaled<A: Ord + std::fmt::Display>(
    report: &mut Report,
    what: &str,
    balances: &BTreeMap<A, u64>,
    held: &BTreeMap<A, u64>,
    supplied: &BTreeMap<A, u64>,
) {
    let accounts: std::collections::BTreeSet<&A> = balances.keys().chain(held.keys()).chain(supplied.keys()).collect();
    for account in accounts {
        let get = |map: &BTreeMap<A, u64>| map.get(account).copied().unwrap_or(0);
        let has = get(balances).saturating_add(get(held));
        if has != get(supplied) {
            report.findings.push(format!(
                "{what} {account} are not as supplied: the shop has {has} in all ({} to take, {} taken), its operations \
                 supplied {}",
                get(balances),
                get(held),
                get(supplied)
            ));
        }
    }
}

/// Whether what the checkouts hold of each account adds up to what the store says keys hold.
fn conserved<A: Ord + std::fmt::Display>(
    report: &mut Report,
    what: &str,
    by_checkouts: &BTreeMap<A, u64>,
    by_store: &BTreeMap<A, u64>,
) {
    let accounts: std::collections::BTreeSet<&A> = by_checkouts.keys().chain(by_store.keys()).collect();
    for account in accounts {
        let (checkouts, store) =
            (by_checkouts.get(account).copied().unwrap_or(0), by_store.get(account).copied().unwrap_or(0));
        if checkouts != store {
            report.findings.push(format!(
                "{what} {account} are not conserved: the store holds {store} under checkouts' keys, the checkouts account for {checkouts}"
            ));
        }
    }
}
