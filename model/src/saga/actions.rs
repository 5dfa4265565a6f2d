//! What the checker may do next: a step of a checkout, with or without a fault, or an act of the
//! environment (a courier worker, a client, an operator, a crash).

/// What can go wrong with one call to a store or the notification service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallFault {
    /// Fails before taking effect; the caller sees an error.
    FailsBeforeEffect,
    /// Takes effect, but the reply is lost; the caller sees an error.
    ReplyLost,
    /// Fails for good (declined, unavailable): the step gives up at once.
    FailsForGood,
    /// Takes effect, then the orchestrator crashes before persisting the new state.
    CrashAfterEffect,
    /// A compensation is refused for good (a closed card): nothing is given back.
    RefusedForGood,
    /// Sent, but so slow that the caller's wait ends first: the caller sees an unknown outcome
    /// and its checkout goes on (a retry, giving up, compensating); the call lands later.
    Overtaken,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SagaAction {
    /// Perform the checkout's current side effect, cleanly or with a fault.
    Call {
        run: usize,
        fault: Option<CallFault>,
    },
    /// The runner driving the checkout dies for good.
    Die {
        run: usize,
    },
    /// A sweeping runner takes over the checkout of a dead one, its lease having lapsed.
    TakeOver {
        run: usize,
    },
    /// Take the checkout's pure step.
    Compute {
        run: usize,
    },
    /// Send the courier request for a checkout waiting for a courier.
    RequestCourier {
        run: usize,
    },
    /// The orchestrator crashes between steps and restarts from the persisted state.
    Crash {
        run: usize,
    },
    /// The worker takes a request off the queue and replies (or fails to assign a courier).
    Work {
        request: usize,
        assigns: bool,
    },
    LoseRequest {
        request: usize,
    },
    DuplicateRequest {
        request: usize,
    },
    Deliver {
        reply: usize,
    },
    LoseReply {
        reply: usize,
    },
    DuplicateReply {
        reply: usize,
    },
    /// The courier deadline of a waiting checkout passes.
    DeadlinePasses {
        run: usize,
    },
    /// Points reach the customer from outside the checkout (`checkout credit`).
    CreditPoints,
    /// An operator adds a copy to the shelf (`checkout restock`).
    Restock,
    /// A reply made up from the checkout's public id arrives for its courier wait.
    ForgeReply {
        run: usize,
    },
    /// A worker reply is handed to a waiting checkout it was not meant for.
    Misdeliver {
        reply: usize,
        to: usize,
    },
    /// A new incarnation claims the checkout while the old one still runs, as a zombie.
    Supersede {
        run: usize,
    },
    /// The zombie takes one step with what it loaded, then tries to save it.
    ZombieActs {
        run: usize,
    },
    /// A call that was overtaken by its checkout's next step finally lands.
    Land {
        run: usize,
    },
    /// The customer withdraws the order: the cancel claims the checkout (the orchestrator
    /// driving it goes on as a zombie until its next save is refused) and hands it the cancel.
    Cancel {
        run: usize,
    },
    /// An operator resolves the checkout, recording what was done by hand: given back outside
    /// the shop, or (`went_out`) collected by the courier after all. As `Driver::resolve` does,
    /// the domain is asked first on the saved checkout; only one it takes is claimed.
    Resolve {
        run: usize,
        went_out: bool,
    },
    /// The client submits an order again.
    Submit {
        submission: usize,
    },
}
