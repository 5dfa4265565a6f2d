//! The reference flow's flaws, numbered once here: the reference model marks the runs that go
//! through each, the properties name the one they expose, and the proofs document lists them.

/// One flaw of the reference Step Functions flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Flaw {
    Oversell,
    PhantomStock,
    PointsOverwritten,
    RefundNoOp,
    DoubleCharge,
    UnboundedWait,
    LastCopyUnsellable,
}

impl Flaw {
    pub const ALL: [Flaw; 7] = [
        Flaw::Oversell,
        Flaw::PhantomStock,
        Flaw::PointsOverwritten,
        Flaw::RefundNoOp,
        Flaw::DoubleCharge,
        Flaw::UnboundedWait,
        Flaw::LastCopyUnsellable,
    ];

    /// Its number in the documents, from 1.
    pub fn number(self) -> u8 {
        self as u8 + 1
    }

    /// Its bit in an audit's record of the flawed code a run went through.
    pub fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// What the reference does wrong.
    pub fn description(self) -> &'static str {
        match self {
            Flaw::Oversell => {
                "stock is checked at the inventory step but taken later by the courier worker, so two orders can \
                 both pass the check and oversell"
            }
            Flaw::PhantomStock => "when courier preparation fails, stock is \"restored\" even if it was never taken",
            Flaw::PointsOverwritten => {
                "points are restored by writing the redeemed amount over the balance instead of adding it back"
            }
            Flaw::RefundNoOp => "the refund step does nothing",
            Flaw::DoubleCharge => {
                "billing is retried with no idempotency key, so a retry after a lost reply charges twice"
            }
            Flaw::UnboundedWait => {
                "the wait for the courier worker's callback has no timeout, so one lost reply hangs the checkout"
            }
            Flaw::LastCopyUnsellable => "availability is `stock - quantity > 0`, so the last copy can never be sold",
        }
    }

    /// What makes it impossible in our saga.
    pub fn remedy(self) -> &'static str {
        match self {
            Flaw::Oversell => "stock is taken atomically by a conditional, keyed reservation at the inventory step",
            Flaw::PhantomStock => "a release gives back exactly what its key took, or nothing",
            Flaw::PointsOverwritten => "a restore adds back what the key took to the balance as it is now",
            Flaw::RefundNoOp => "the refund is a real keyed compensation, and a failed checkout's type owes it",
            Flaw::DoubleCharge => "the charge carries `<checkout>:charge`; a retry is answered, not re-charged",
            Flaw::UnboundedWait => "the waiting state carries a deadline and compensates when it passes",
            Flaw::LastCopyUnsellable => "a reservation takes when `stock >= quantity`",
        }
    }
}
