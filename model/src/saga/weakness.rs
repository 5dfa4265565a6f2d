//! Protections switched off on purpose, each to show that a property bites.

use super::*;

/// A protection of ours switched off on purpose, to show that the checker sees what it guards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Weakness {
    /// Courier tokens made from the checkout id, as the first version made them: whoever knows
    /// the id can forge the worker's reply.
    PublicTokens,
    /// One token for every courier wait, so any reply fits any waiting checkout.
    SharedToken,
    /// No fencing: the stores ignore fences, and a save overwrites whatever was saved since.
    NoFencing,
    /// No order registry: every submission opens a checkout under an id made from its order id.
    NoRegistry,
    /// A compensation refused for good is recorded as if it had given everything back.
    RefusalTakenAsDone,
    /// The engine lets a compensation give up after one failed attempt, as if refused.
    CompensationGivesUp,
    /// The engine gives the courier notice up after its attempts (or at a refusal) and
    /// compensates, as it did before the point of no return.
    NoticeGivesUp,
    /// Nothing takes over a dead runner's checkouts: they wait for a restart that may never
    /// come, as before leases.
    NoTakeover,
    /// An operator's restock sets the shelf to the catalog's count instead of adding, as `init`
    /// on a live shop did: copies already sold are put back.
    RestockSets,
    /// A cancel is honoured past the point of no return: a checkout whose courier is assigned
    /// gives the notice up and compensates.
    CancelPastNoReturn,
    /// A cancel forgets the step in flight: cancelled while billing, the checkout owes no
    /// refund, as if a charge whose reply has not come had not happened.
    CancelForgetsInFlight,
    /// A resolution is taken by a checkout still compensating: what it still owes is recorded
    /// as given back by hand, though no store refused it.
    ResolveWhileCompensating,
}

impl Weakness {
    pub const ALL: [Weakness; 12] = [
        Weakness::PublicTokens,
        Weakness::SharedToken,
        Weakness::NoFencing,
        Weakness::NoRegistry,
        Weakness::RefusalTakenAsDone,
        Weakness::CompensationGivesUp,
        Weakness::NoticeGivesUp,
        Weakness::NoTakeover,
        Weakness::RestockSets,
        Weakness::CancelPastNoReturn,
        Weakness::CancelForgetsInFlight,
        Weakness::ResolveWhileCompensating,
    ];

    /// The protection switched off, in words.
    pub fn protection(self) -> &'static str {
        match self {
            Weakness::PublicTokens => "courier tokens nobody can derive",
            Weakness::SharedToken => "a token of its own for each courier wait",
            Weakness::NoFencing => "fencing",
            Weakness::NoRegistry => "the order registry",
            Weakness::RefusalTakenAsDone => "raising refused compensations",
            Weakness::CompensationGivesUp => "compensations retried until they succeed",
            Weakness::NoticeGivesUp => "the point of no return",
            Weakness::NoTakeover => "taking over a dead runner's checkouts",
            Weakness::RestockSets => "operator operations that only add",
            Weakness::CancelPastNoReturn => "cancels refused past the point of no return",
            Weakness::CancelForgetsInFlight => "cancels that owe what a step in flight takes",
            Weakness::ResolveWhileCompensating => "resolutions taken only by a checkout raised for an operator",
        }
    }

    /// What the weakened copy does instead, in words.
    pub fn description(self) -> &'static str {
        match self {
            Weakness::PublicTokens => "courier tokens made from the checkout id (`<checkout>:prepare-order`)",
            Weakness::SharedToken => "one courier token shared by every wait",
            Weakness::NoFencing => "stores ignore fences, and a save overwrites newer saves",
            Weakness::NoRegistry => "each submission opens a checkout `ck-<order id>`",
            Weakness::RefusalTakenAsDone => "a compensation refused for good is recorded as given back",
            Weakness::CompensationGivesUp => "the engine gives a compensation up after one failed attempt",
            Weakness::NoticeGivesUp => {
                "the engine gives the courier notice up like a forward step and compensates (the code before it)"
            }
            Weakness::NoTakeover => "a dead runner's checkouts wait for a restart (the code before leases)",
            Weakness::RestockSets => "a restock sets the shelf to the catalog's count, as `init` on a live shop did",
            Weakness::CancelPastNoReturn => {
                "a cancel after a courier's assignment gives the notice up and compensates the order"
            }
            Weakness::CancelForgetsInFlight => {
                "a cancel while billing owes no refund, as if the charge whose reply has not come had not happened"
            }
            Weakness::ResolveWhileCompensating => {
                "a checkout still compensating takes a resolution, what it owes recorded as given back by hand"
            }
        }
    }

    /// The scenario whose faults the protection guards against.
    pub fn scenario(self) -> Scenario {
        match self {
            Weakness::PublicTokens | Weakness::SharedToken => Scenario::foreign_replies(),
            Weakness::NoFencing => Scenario::zombie(),
            Weakness::NoRegistry => Scenario::resubmitted(),
            Weakness::RefusalTakenAsDone => Scenario::refused_refund(),
            Weakness::CompensationGivesUp | Weakness::NoticeGivesUp => Scenario::single_order(),
            Weakness::NoTakeover => Scenario::dead_runner(),
            Weakness::RestockSets => Scenario::last_copy(),
            Weakness::CancelPastNoReturn | Weakness::CancelForgetsInFlight => Scenario::cancelled(),
            Weakness::ResolveWhileCompensating => Scenario::resolved(),
        }
    }

    /// The property that fails with the protection off.
    pub fn breaks(self) -> &'static str {
        match self {
            Weakness::PublicTokens | Weakness::SharedToken => "only the worker's reply is accepted",
            Weakness::NoFencing => "dispatched orders are whole",
            Weakness::NoRegistry => "one checkout per order",
            Weakness::RefusalTakenAsDone => "nothing silently stays taken",
            Weakness::CompensationGivesUp => "an operator is called only for a refusal",
            Weakness::NoticeGivesUp => "a courier collects only what is sold",
            Weakness::NoTakeover => "every checkout terminates",
            Weakness::RestockSets => "no oversell",
            Weakness::CancelPastNoReturn => "a cancel stops the order or says why not",
            Weakness::CancelForgetsInFlight => "money back on failure",
            Weakness::ResolveWhileCompensating => "an operator settles only what the shop could not",
        }
    }
}
