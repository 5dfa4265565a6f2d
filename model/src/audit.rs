//! The saga invariants, stated once over an [`Audit`]: a model-independent account of where every
//! copy, point and cent is. Both models (ours and the reference flow) produce an audit of each of
//! their states, so the same properties judge both.

use checkout_domain::OrderId;
use stateright::{Expectation, Model};

use crate::flaw::Flaw;

/// How a checkout stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    InProgress,
    Dispatched,
    /// Refused before anything was taken (out of stock, unknown book).
    Rejected,
    /// Failed and ran its compensations.
    Compensated,
    /// Failed and stopped without compensating (the reference's unhandled errors).
    Abandoned,
    /// Failed, ran its compensations, and some was refused for good: raised for an operator.
    NeedsOperator,
    /// Past the point of no return, its courier notice was refused for good: raised for an
    /// operator with everything held, since the courier may have been told.
    CourierMayKnow,
    /// Raised for an operator, who resolved it by recording what was done by hand.
    Resolved,
}

impl Status {
    /// Ended without the customer getting the order: everything taken must be back.
    pub fn ended_in_failure(self) -> bool {
        matches!(self, Status::Rejected | Status::Compensated | Status::Abandoned)
    }
}

/// How a checkout answered a customer's cancel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CancelAnswer {
    /// Taken: the checkout stops and gives back what it took.
    Honoured,
    /// Refused: a courier was assigned and may have been told to collect.
    PastNoReturn,
    /// Refused: the checkout had already failed or ended.
    NothingToCancel,
}

/// How an operator resolved a checkout raised for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResolutionAudit {
    /// Recorded as collected by the courier after all (the order went out).
    pub went_out: bool,
    /// Raised for its courier notice, refused for good (so it held the whole order); else for
    /// compensations refused for good.
    pub raised_for_notice: bool,
    /// What the stores held under its stock, points and charge keys when it was resolved.
    pub held_when_resolved: [i64; 3],
}

/// What one checkout holds of the shared stores, and which milestones it has passed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Holdings {
    /// Copies this order has taken from stock and not given back (negative: gave back more).
    pub stock_taken: i64,
    /// Points this order has taken and not given back (negative: gave back more).
    pub points_taken: i64,
    /// Money charged to the customer for this order and not refunded.
    pub charged: i64,
    /// The amount due the order asked to be charged, once it asked.
    pub amount_due: Option<i64>,
    /// Whether a charge for this order ever went through.
    pub was_billed: bool,
    /// Whether points were ever redeemed (more than zero) for this order.
    pub redeemed_points: bool,
}

/// What a checkout's record names as refused for good, one bit per kind of hold.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Unreturned(pub u8);

impl Unreturned {
    pub const STOCK: u8 = 1;
    pub const POINTS: u8 = 2;
    pub const MONEY: u8 = 4;

    pub fn names(self, hold: u8) -> bool {
        self.0 & hold != 0
    }
}

/// One checkout in one state of a model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderAudit {
    pub order: OrderId,
    pub status: Status,
    pub quantity: i64,
    pub held: Holdings,
    /// What the checkout's record says could not be given back.
    pub unreturned: Unreturned,
    /// A store refused one of this checkout's compensations for good.
    pub compensation_refused: bool,
    /// A notice telling a courier to collect this order reached the courier (whether or not its
    /// reply came back): the one effect that leaves the shop and cannot be undone.
    pub courier_told: bool,
    /// How the checkout answered the customer's first cancel, if one came.
    pub cancel: Option<CancelAnswer>,
    /// How an operator resolved it, once resolved.
    pub resolution: Option<ResolutionAudit>,
}

impl OrderAudit {
    /// Whether the checkout has ended, one way or another.
    pub fn ended(&self) -> bool {
        self.status != Status::InProgress
    }

    /// Whether it holds exactly its copies and its amount due: the whole order.
    pub fn holds_whole_order(&self) -> bool {
        self.held.stock_taken == self.quantity && Some(self.held.charged) == self.held.amount_due
    }

    /// Whether an operator's resolution of it settled only what the shop could not give back:
    /// it was raised by a refusal for good, nothing in the stores moved since, and what they
    /// hold fits the resolution (the whole order for a notice, and always for one collected;
    /// else only what its record names as refused).
    pub fn resolution_settles_only_the_refused(&self) -> bool {
        let Some(r) = self.resolution else { return self.status != Status::Resolved };
        let held = [self.held.stock_taken, self.held.points_taken, self.held.charged];
        let fits = if r.raised_for_notice || r.went_out {
            self.holds_whole_order()
        } else {
            let named = |held: i64, hold: u8| held == 0 || self.unreturned.names(hold);
            named(held[0], Unreturned::STOCK) && named(held[1], Unreturned::POINTS) && named(held[2], Unreturned::MONEY)
        };
        self.status == Status::Resolved
            && (r.raised_for_notice || self.compensation_refused)
            && held == r.held_when_resolved
            && fits
    }

    /// Whether something this ended, undispatched checkout still holds goes unnamed in its record.
    pub fn holds_silently(&self) -> bool {
        let silent = |held: i64, hold: u8| held != 0 && !self.unreturned.names(hold);
        self.ended()
            && !matches!(self.status, Status::Dispatched | Status::CourierMayKnow | Status::Resolved)
            && (silent(self.held.stock_taken, Unreturned::STOCK)
                || silent(self.held.points_taken, Unreturned::POINTS)
                || silent(self.held.charged, Unreturned::MONEY))
    }
}

/// The whole world of a model state, as the invariants see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Audit {
    /// The copies in stock at the start plus every copy an operator restocked since.
    pub stock_supplied: i64,
    pub stock: i64,
    /// The customer's points at the start plus every point credited from outside since.
    pub points_supplied: i64,
    pub points: i64,
    /// The customer's funds at the start, and what is spendable now.
    pub funds_supplied: i64,
    pub funds: i64,
    pub orders: Vec<OrderAudit>,
    /// Two checkouts run for one order id, or under one checkout id (and so share effect keys).
    pub checkouts_share_an_order: bool,
    /// A checkout accepted a courier reply that was not the worker's answer to its own wait.
    pub foreign_reply_accepted: bool,
    /// The record of a checkout that had ended was saved over (by an orchestrator that should
    /// no longer act).
    pub ended_checkout_changed: bool,
    /// An order was refused as out of stock while there were enough copies for it.
    pub refused_with_stock_available: bool,
    /// A checkout refused the reply to a command it issued itself, and so could not move on.
    pub reply_refused: bool,
    /// After a crash, a checkout did not reload from its saved record as it was.
    pub reload_failed: bool,
    /// Which of the reference's flawed code paths ([`Flaw::bit`]) this run went through. Always
    /// empty for our saga, which has none of them. It picks, for each flaw, a counterexample that
    /// shows that flaw at work; it plays no part in any property.
    pub flaw_paths: u8,
}

impl Audit {
    pub fn went_through_flaw(&self, flaw: Flaw) -> bool {
        self.flaw_paths & flaw.bit() != 0
    }
}

/// A model quantity as an audit counts it.
pub fn as_i64(n: u64) -> i64 {
    i64::try_from(n).expect("model quantities are small")
}

/// `n` copies, in words.
pub fn copies(n: i64) -> String {
    if n == 1 || n == -1 {
        format!("{n} copy")
    } else {
        format!("{n} copies")
    }
}

/// A model whose states can be audited.
pub trait Audited: Model {
    fn audit(&self, state: &Self::State) -> Audit;

    /// A fingerprint that is the same for every state equal to `state` up to a renaming of
    /// interchangeable orders, if the model has such a symmetry. The checker then visits one
    /// state of each class. The default has none.
    fn symmetric_fingerprint(&self, _state: &Self::State) -> Option<u64> {
        None
    }
}

/// One named invariant: what it says in plain words and how an audit is checked against it.
#[derive(Debug)]
pub struct Invariant {
    pub name: &'static str,
    pub expectation: Expectation,
    pub statement: &'static str,
    /// The reference flaw this property exposes, if any.
    pub exposes_flaw: Option<Flaw>,
    pub holds: fn(&Audit) -> bool,
}

fn sum(audit: &Audit, f: fn(&OrderAudit) -> i64) -> i64 {
    audit.orders.iter().map(f).sum()
}

/// Every property both models are checked against, in the order the proofs list them.
pub const INVARIANTS: &[Invariant] = &[
    Invariant {
        name: "no oversell",
        expectation: Expectation::Always,
        statement: "Stock never goes below zero, and the copies on the shelf plus the copies held by \
                    orders always equal the copies the store was supplied: those it started with \
                    and those an operator restocked since.",
        exposes_flaw: Some(Flaw::Oversell),
        holds: |a| a.stock >= 0 && a.stock + sum(a, |o| o.held.stock_taken) == a.stock_supplied,
    },
    Invariant {
        name: "no phantom stock",
        expectation: Expectation::Always,
        statement: "No order ever gives back more copies than it took, and none holds more than it \
                    ordered.",
        exposes_flaw: Some(Flaw::PhantomStock),
        holds: |a| a.orders.iter().all(|o| (0..=o.quantity).contains(&o.held.stock_taken)),
    },
    Invariant {
        name: "points restored exactly",
        expectation: Expectation::Always,
        statement: "The customer's points never go below zero, no order gives back more points than \
                    it took, and a failed checkout holds no points at its end: what it redeemed is \
                    added back to the balance as it is then, not written over it.",
        exposes_flaw: Some(Flaw::PointsOverwritten),
        holds: |a| {
            a.points >= 0
                && a.points + sum(a, |o| o.held.points_taken) == a.points_supplied
                && a.orders
                    .iter()
                    .all(|o| o.held.points_taken >= 0 && !(o.status.ended_in_failure() && o.held.points_taken != 0))
        },
    },
    Invariant {
        name: "money back on failure",
        expectation: Expectation::Always,
        statement: "A checkout that ends without dispatching has, at its end, been refunded everything \
                    it was charged.",
        exposes_flaw: Some(Flaw::RefundNoOp),
        holds: |a| a.orders.iter().all(|o| !(o.status.ended_in_failure() && o.held.charged != 0)),
    },
    Invariant {
        name: "no double charge",
        expectation: Expectation::Always,
        statement: "What an order has been charged is always either nothing or exactly its amount due, \
                    however often the charge was retried, replayed or its reply lost.",
        exposes_flaw: Some(Flaw::DoubleCharge),
        holds: |a| a.orders.iter().all(|o| o.held.charged == 0 || Some(o.held.charged) == o.held.amount_due),
    },
    Invariant {
        name: "money conserved",
        expectation: Expectation::Always,
        statement: "The customer's spendable funds never go below zero, and they plus what every \
                    checkout holds charged always equal the funds the customer started with.",
        exposes_flaw: None,
        holds: |a| a.funds >= 0 && a.funds + sum(a, |o| o.held.charged) == a.funds_supplied,
    },
    Invariant {
        name: "stock back on failure",
        expectation: Expectation::Always,
        statement: "A checkout that ends without dispatching holds no stock at its end.",
        exposes_flaw: None,
        holds: |a| a.orders.iter().all(|o| !(o.status.ended_in_failure() && o.held.stock_taken != 0)),
    },
    Invariant {
        name: "dispatched orders are whole",
        expectation: Expectation::Always,
        statement: "A dispatched order holds exactly the copies it ordered and has paid exactly its \
                    amount due.",
        exposes_flaw: None,
        holds: |a| {
            a.orders.iter().all(|o| {
                o.status != Status::Dispatched
                    || (o.held.stock_taken == o.quantity && Some(o.held.charged) == o.held.amount_due)
            })
        },
    },
    Invariant {
        name: "every checkout terminates",
        expectation: Expectation::Eventually,
        statement: "Every run ends with every checkout dispatched, rejected, compensated or raised for an \
                    operator — also when the courier worker's reply is lost.",
        exposes_flaw: Some(Flaw::UnboundedWait),
        holds: |a| a.orders.iter().all(OrderAudit::ended),
    },
    Invariant {
        name: "nothing silently stays taken",
        expectation: Expectation::Always,
        statement: "A checkout that has ended without dispatching holds no stock, points or money \
                    that its record does not name as refused for good and raised for an operator.",
        exposes_flaw: None,
        holds: |a| !a.orders.iter().any(OrderAudit::holds_silently),
    },
    Invariant {
        name: "an operator is called only for a refusal",
        expectation: Expectation::Always,
        statement: "A checkout is raised for an operator only after a store refused one of its \
                    compensations for good: a compensation that merely fails (a timeout, an outage) \
                    is retried until it succeeds, never given up.",
        exposes_flaw: None,
        holds: |a| a.orders.iter().all(|o| o.status != Status::NeedsOperator || o.compensation_refused),
    },
    Invariant {
        name: "a courier collects only what is sold",
        expectation: Expectation::Always,
        statement: "Once a courier may have been told to collect an order (a notice reached it, even one \
                    whose reply was lost or that landed late), the order is never compensated: it keeps \
                    exactly its copies and its payment, and ends dispatched or raised for an operator as \
                    possibly collected.",
        exposes_flaw: None,
        holds: |a| {
            a.orders.iter().all(|o| {
                !(o.courier_told || o.status == Status::CourierMayKnow)
                    || (matches!(
                        o.status,
                        Status::InProgress | Status::Dispatched | Status::CourierMayKnow | Status::Resolved
                    ) && o.holds_whole_order())
            })
        },
    },
    Invariant {
        name: "a cancel stops the order or says why not",
        expectation: Expectation::Always,
        statement: "A customer's cancel, whatever it races (a charge in flight, a courier's answer, a \
                    crash, the orchestrator it interrupts, a second cancel), is either honoured or \
                    refused with its reason. Honoured, the checkout ends given back (compensated, or \
                    raised for an operator for a refusal) and no courier is ever told to collect it. \
                    Refused as past the point of no return, the order keeps its copies and payment and \
                    goes out (or is raised as possibly collected). Refused as already failed or ended, \
                    it was not going out. No order is both refunded and dispatched.",
        exposes_flaw: None,
        holds: |a| {
            a.orders.iter().all(|o| {
                let going_out = matches!(o.status, Status::Dispatched | Status::CourierMayKnow)
                    || o.resolution.is_some_and(|r| r.went_out);
                match o.cancel {
                    None => true,
                    Some(CancelAnswer::Honoured) | Some(CancelAnswer::NothingToCancel) => !going_out && !o.courier_told,
                    Some(CancelAnswer::PastNoReturn) => {
                        matches!(
                            o.status,
                            Status::InProgress | Status::Dispatched | Status::CourierMayKnow | Status::Resolved
                        ) && o.holds_whole_order()
                    }
                }
            })
        },
    },
    Invariant {
        name: "an operator settles only what the shop could not",
        expectation: Expectation::Always,
        statement: "An operator's resolution, whenever it comes and however often, is taken only by a \
                    checkout raised for an operator by a refusal for good (of a compensation, or of \
                    its courier notice), and moves nothing: the stores go on holding under its keys \
                    what they held when it was resolved, which is only what its record names as \
                    refused, or, for a refused notice, the whole order. An order resolved as \
                    collected by its courier holds exactly its copies and its payment.",
        exposes_flaw: None,
        holds: |a| a.orders.iter().all(OrderAudit::resolution_settles_only_the_refused),
    },
    Invariant {
        name: "one checkout per order",
        expectation: Expectation::Always,
        statement: "However often a client submits an order, and whatever it sends under an id it \
                    used before, no two checkouts run for one order id or share a checkout id.",
        exposes_flaw: None,
        holds: |a| !a.checkouts_share_an_order,
    },
    Invariant {
        name: "only the worker's reply is accepted",
        expectation: Expectation::Always,
        statement: "A checkout accepts a courier reply only if it is the worker's answer to its own \
                    wait: not one forged from the order's public ids, not one meant for another checkout.",
        exposes_flaw: None,
        holds: |a| !a.foreign_reply_accepted,
    },
    Invariant {
        name: "ended checkouts stay ended",
        expectation: Expectation::Always,
        statement: "Once a checkout has ended its record never changes: no superseded orchestrator \
                    still running can turn a dispatched order into a refunded one, or the reverse.",
        exposes_flaw: None,
        holds: |a| !a.ended_checkout_changed,
    },
    Invariant {
        name: "last copy sellable",
        expectation: Expectation::Always,
        statement: "An order is refused as out of stock only when fewer copies are in stock than it asks \
                    for.",
        exposes_flaw: Some(Flaw::LastCopyUnsellable),
        holds: |a| !a.refused_with_stock_available,
    },
    Invariant {
        name: "every reply is accepted",
        expectation: Expectation::Always,
        statement: "A checkout accepts the reply to every command it issued itself: no step, forward or \
                    compensating, is missing the transition that consumes its result.",
        exposes_flaw: None,
        holds: |a| !a.reply_refused,
    },
    Invariant {
        name: "a crash loses nothing",
        expectation: Expectation::Always,
        statement: "After an orchestrator crash, every checkout loads back from its saved JSON record as \
                    exactly the state it was in.",
        exposes_flaw: None,
        holds: |a| !a.reload_failed,
    },
    Invariant {
        name: "some checkout is dispatched",
        expectation: Expectation::Sometimes,
        statement: "Some run dispatches an order (the model is not vacuous).",
        exposes_flaw: None,
        holds: |a| a.orders.iter().any(|o| o.status == Status::Dispatched),
    },
    Invariant {
        name: "some checkout is compensated after billing",
        expectation: Expectation::Sometimes,
        statement: "Some run charges a customer and then compensates the checkout.",
        exposes_flaw: None,
        holds: |a| a.orders.iter().any(|o| o.status == Status::Compensated && o.held.was_billed),
    },
    Invariant {
        name: "some refused compensation is raised",
        expectation: Expectation::Sometimes,
        statement: "Some run has a compensation refused for good and ends raising it for an operator.",
        exposes_flaw: None,
        holds: |a| a.orders.iter().any(|o| o.status == Status::NeedsOperator),
    },
    Invariant {
        name: "some refused notice is raised",
        expectation: Expectation::Sometimes,
        statement: "Some run has its courier notice refused for good and ends raising it for an operator, \
                    everything held.",
        exposes_flaw: None,
        holds: |a| a.orders.iter().any(|o| o.status == Status::CourierMayKnow),
    },
    Invariant {
        name: "some cancel is honoured after billing",
        expectation: Expectation::Sometimes,
        statement: "Some run charges a customer, takes their cancel, and ends compensated.",
        exposes_flaw: None,
        holds: |a| {
            a.orders.iter().any(|o| {
                o.status == Status::Compensated && o.held.was_billed && o.cancel == Some(CancelAnswer::Honoured)
            })
        },
    },
    Invariant {
        name: "some cancel is refused past the point of no return",
        expectation: Expectation::Sometimes,
        statement: "Some run refuses a cancel because a courier was assigned, and dispatches the order.",
        exposes_flaw: None,
        holds: |a| {
            a.orders.iter().any(|o| o.status == Status::Dispatched && o.cancel == Some(CancelAnswer::PastNoReturn))
        },
    },
    Invariant {
        name: "some refused compensation is resolved by hand",
        expectation: Expectation::Sometimes,
        statement: "Some run raises a refused compensation for an operator, who records it as given back \
                    by hand.",
        exposes_flaw: None,
        holds: |a| a.orders.iter().any(|o| o.resolution.is_some_and(|r| !r.raised_for_notice && !r.went_out)),
    },
    Invariant {
        name: "some unconfirmed notice is resolved as collected",
        expectation: Expectation::Sometimes,
        statement: "Some run raises a refused courier notice for an operator, who records that the courier \
                    collected the order after all.",
        exposes_flaw: None,
        holds: |a| a.orders.iter().any(|o| o.resolution.is_some_and(|r| r.raised_for_notice && r.went_out)),
    },
    Invariant {
        name: "some checkout is compensated after redeeming points",
        expectation: Expectation::Sometimes,
        statement: "Some run redeems points and then compensates the checkout.",
        exposes_flaw: None,
        holds: |a| a.orders.iter().any(|o| o.status == Status::Compensated && o.held.redeemed_points),
    },
];

/// Looks an invariant up by name.
pub fn invariant(name: &str) -> Option<&'static Invariant> {
    INVARIANTS.iter().find(|i| i.name == name)
}

/// The invariant that exposes `flaw`.
pub fn exposing(flaw: Flaw) -> &'static Invariant {
    INVARIANTS.iter().find(|i| i.exposes_flaw == Some(flaw)).expect("every flaw has a property")
}
