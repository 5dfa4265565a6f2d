//! The routing model's state and actions: where each execution is, what it waits for, and what
//! the checker may do next (invoke, with or without a fault; answer a courier request; start).

use super::*;

/// Where an execution is.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Position {
    At(String),
    Succeeded,
    Failed(String),
}

/// The courier request of the Task an execution waits in.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Wait {
    None,
    /// On the queue: the message, as JSON.
    Outstanding(String),
    /// Lost: no answer will come.
    Lost,
}

/// One execution of the state machine.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Execution {
    /// Its input (an order), as JSON.
    pub input: String,
    pub position: Position,
    /// The state's data, as JSON.
    pub data: String,
    /// Attempts each retrier of the current Task has made.
    pub attempts: Vec<u32>,
    pub wait: Wait,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RoutingState {
    pub shop: ShopState,
    pub refuse_compensations: bool,
    pub executions: Vec<Execution>,
    /// Invocations whose reply was lost while they still run: (execution, request as JSON).
    pub zombies: Vec<(usize, String)>,
    /// How many more faults may happen.
    pub faults_left: u8,
    /// How many more customer cancels may come.
    pub cancels_left: u8,
    /// Ghost: a cancel was honoured.
    pub cancelled: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InvokeFault {
    /// The process dies after this many calls to the shop.
    CrashAfter(u8),
    /// The invocation runs; its reply is lost.
    ReplyLost,
    /// The reply is lost while the invocation still runs: it acts later, as a zombie.
    Zombie,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CourierAnswer {
    Assigned,
    NoCourier,
    /// An answer naming another wait than the one the message carries.
    Misdirected,
    /// The request is lost.
    Lost,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RoutingAction {
    Invoke {
        execution: usize,
        fault: Option<InvokeFault>,
    },
    Courier {
        execution: usize,
        answer: CourierAnswer,
    },
    WaitTimesOut {
        execution: usize,
    },
    ZombieRuns {
        zombie: usize,
    },
    /// The customer cancels the order, with `checkout cancel` on the shop's tables, while the
    /// executions go on.
    Cancel,
}

/// How a run starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Start {
    /// One execution for the order.
    Once,
    /// A second execution, under another name, for the same order.
    Twice,
    /// A second execution for another order under the same order id.
    IdReused,
}
