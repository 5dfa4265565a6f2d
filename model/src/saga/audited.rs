//! What the properties read of a state: the audit of stock, points, money and what left the shop.

use checkout_domain::states::Raised;

use super::*;

impl Audited for SagaModel {
    fn symmetric_fingerprint(&self, state: &SagaState) -> Option<u64> {
        let symmetry = self.symmetry.as_ref()?;
        let mut runs = symmetry.describe(state.runs.iter().map(|run| run.fingerprint()));
        // Every entry's account is the scenario's one book or one customer: it is not told.
        for (key, entry) in state.inventory.stock.entries() {
            runs.add_for_checkout(key.checkout(), (0u8, key.effect(), entry.amount, entry.state));
        }
        for (key, entry) in state.points.entries() {
            runs.add_for_checkout(key.checkout(), (1u8, key.effect(), entry.amount, entry.state));
        }
        for (key, entry) in state.wallets.entries() {
            runs.add_for_checkout(key.checkout(), (2u8, key.effect(), entry.amount, entry.state));
        }
        for run in 0..state.runs.len() {
            let id = state.runs[run].checkout().id();
            runs.add(run, (3u8, state.fences.mark(id)));
        }
        let own = |run: usize, token: &TaskToken| state.runs[run].token == *token;
        for request in &state.courier_queue {
            let foreign = (!own(request.run, &request.token)).then_some(&request.token);
            runs.add(request.run, (0u8, foreign));
        }
        for reply in &state.courier_replies {
            let foreign = (!own(reply.run, &reply.token)).then_some(&reply.token);
            runs.add(reply.run, (1u8, foreign, reply.assigned));
        }
        let s = &self.scenario;
        Some(runs.finish((
            state.inventory.stock.balance(&s.book),
            state.points.balance(&s.user),
            state.wallets.balance(&s.user),
            (state.faults_left, state.crashes_left, state.credits_left, state.restocks_left),
            (
                state.refusals_left,
                state.foreign_left,
                state.zombies_left,
                state.pending_submissions,
                state.overtakes_left,
                state.deaths_left,
                state.cancels_left,
                state.resolutions_left,
            ),
            (state.refused_with_stock_available, state.reply_refused, state.reload_failed),
            (state.foreign_reply_accepted, state.ended_checkout_changed, &state.registry),
        )))
    }

    fn audit(&self, state: &SagaState) -> Audit {
        let s = &self.scenario;
        let orders: Vec<OrderAudit> = state
            .runs
            .iter()
            .map(|r| {
                let [stock_key, points_key, charge_key] = &self.keys[usize::from(r.submission)];
                let checkout = r.checkout();
                let order = checkout.order();
                OrderAudit {
                    order: order.id().clone(),
                    status: match checkout.phase() {
                        Phase::Dispatched => Status::Dispatched,
                        Phase::Rejected => Status::Rejected,
                        Phase::Compensated => Status::Compensated,
                        Phase::NeedsOperator => Status::NeedsOperator,
                        Phase::NoticeUnconfirmed => Status::CourierMayKnow,
                        Phase::Resolved => Status::Resolved,
                        _ => Status::InProgress,
                    },
                    quantity: i64::from(order.quantity().get()),
                    held: Holdings {
                        stock_taken: as_i64(state.inventory.stock.held_by(stock_key)),
                        points_taken: as_i64(state.points.held_by(points_key)),
                        charged: as_i64(state.wallets.held_by(charge_key)),
                        amount_due: r.amount_due.map(as_i64),
                        was_billed: r.was_billed,
                        redeemed_points: r.redeemed_points,
                    },
                    unreturned: unreturned(checkout),
                    compensation_refused: r.compensation_refused,
                    courier_told: r.courier_told,
                    cancel: r.cancel,
                    resolution: resolution(checkout, r.held_when_resolved),
                }
            })
            .collect();
        let checkouts_share_an_order = state.runs.iter().enumerate().any(|(i, a)| {
            state.runs[i + 1..].iter().any(|b| {
                a.checkout().id() == b.checkout().id() || a.checkout().order().id() == b.checkout().order().id()
            })
        });
        Audit {
            stock_supplied: as_i64(u64::from(s.copies) + u64::from(s.restocks - state.restocks_left) * RESTOCK_COPIES),
            stock: as_i64(state.inventory.stock.balance(&s.book).unwrap_or(0)),
            points_supplied: as_i64(s.points + u64::from(s.points_credits - state.credits_left) * POINTS_CREDIT),
            points: as_i64(state.points.balance(&s.user).unwrap_or(0)),
            funds_supplied: as_i64(s.funds),
            funds: as_i64(state.wallets.balance(&s.user).unwrap_or(0)),
            orders,
            checkouts_share_an_order,
            foreign_reply_accepted: state.foreign_reply_accepted,
            ended_checkout_changed: state.ended_checkout_changed,
            refused_with_stock_available: state.refused_with_stock_available,
            reply_refused: state.reply_refused,
            reload_failed: state.reload_failed,
            flaw_paths: 0,
        }
    }
}

/// How an operator resolved the checkout, if it is resolved; `held` is the ghost of what the
/// stores held when it was.
fn resolution(checkout: &CheckoutState, held: Option<[u64; 3]>) -> Option<ResolutionAudit> {
    let CheckoutState::Resolved(resolved) = checkout else { return None };
    Some(ResolutionAudit {
        went_out: resolved.resolution().went_out(),
        raised_for_notice: matches!(resolved.raised(), Raised::Notice(_)),
        held_when_resolved: held.expect("a resolved checkout's holdings were kept").map(as_i64),
    })
}

/// What a checkout's record names as refused for good.
fn unreturned(checkout: &CheckoutState) -> Unreturned {
    Unreturned(checkout.unreturned().iter().fold(0, |bits, u| {
        bits | match u.compensation {
            Compensation::ReleaseStock => Unreturned::STOCK,
            Compensation::RestorePoints => Unreturned::POINTS,
            Compensation::Refund => Unreturned::MONEY,
        }
    }))
}
