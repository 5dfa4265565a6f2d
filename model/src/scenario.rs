//! The situations both models are checked in: which orders run at once, over how much stock and
//! how many points, and how many faults the environment may inject. Faults are bounded so that
//! the state space is finite; within the bound the checker tries every placement of them.

use checkout_domain::{BookId, Money, Order, OrderId, Quantity, UserId};

/// The points one outside credit (a loyalty reward from elsewhere) adds to the customer.
pub const POINTS_CREDIT: u64 = 5;

/// The copies one operator restock (`checkout restock`) adds to the shelf.
pub const RESTOCK_COPIES: u64 = 1;

#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: &'static str,
    pub book: BookId,
    pub user: UserId,
    pub copies: u32,
    pub unit_price: Money,
    pub points: u64,
    /// What the customer can spend; large enough that charges are not declined.
    pub funds: u64,
    pub orders: Vec<Order>,
    /// Faults the environment may inject in one run: failed or lost calls, worker failures,
    /// lost or duplicated messages.
    pub faults: u8,
    /// Orchestrator crashes (with restart from the persisted state) in one run.
    pub crashes: u8,
    /// Outside credits of [`POINTS_CREDIT`] points that may land in one run (`checkout credit`).
    pub points_credits: u8,
    /// Operator restocks of [`RESTOCK_COPIES`] copies that may land in one run, between any two
    /// steps of the checkouts (`checkout restock`).
    pub restocks: u8,
    /// How many attempts a forward step gets before the checkout gives up and compensates.
    pub max_attempts: u8,
    /// Compensations that may be refused for good (a closed card) in one run.
    pub refusals: u8,
    /// Courier replies that may come from outside the worker, in one run: forged from what a
    /// customer knows, or a real reply handed to a checkout it was not meant for.
    pub foreign_replies: u8,
    /// Times an orchestrator may be superseded while it still runs (a retried Lambda, a runner
    /// restarted while the old one lives on): the old incarnation goes on as a zombie.
    pub zombies: u8,
    /// Calls that may be overtaken by their checkout's next step in one run: sent, but so slow
    /// that the orchestrator stops waiting and goes on; they land later.
    pub overtakes: u8,
    /// Runners that die for good in one run (killed, their machine gone): nothing restarts them;
    /// their checkouts move again only when another runner takes them over, once their lease
    /// has lapsed.
    pub deaths: u8,
    /// Cancels a customer may send in one run (`checkout cancel`), each at any moment, racing
    /// whatever its checkout is doing.
    pub cancels: u8,
    /// Resolutions an operator may record in one run (`checkout resolve`), of either kind (given
    /// back by hand, or collected by the courier after all), each at any moment, on any checkout
    /// raised for an operator: one already resolved, or one the resolution does not fit.
    pub resolutions: u8,
    /// Orders the client submits again after the first submissions, at any moment: the same
    /// order (a retry), or an order id already used with another body.
    pub resubmissions: Vec<Order>,
    /// Whether the proofs search our saga's runs in this scenario for the examples they show.
    /// Only the small scenarios are searched: the examples shown are the shortest, and the small
    /// scenarios have them. (The reference's state spaces are small; all of them are searched.)
    pub show_traces: bool,
}

fn order(id: &str, book: &BookId, user: &UserId, quantity: u64, redeem: bool) -> Order {
    Order::new(
        OrderId::new(id).expect("scenario ids are valid"),
        book.clone(),
        user.clone(),
        Quantity::new(quantity).expect("scenario quantities are valid"),
        redeem,
    )
}

impl Scenario {
    /// One order for the last copy in stock, paying without points, while an operator restocks.
    pub fn last_copy() -> Scenario {
        let base = Scenario::single_order();
        let (book, user) = (base.book.clone(), base.user.clone());
        Scenario {
            name: "last copy, restocked while it sells",
            copies: 1,
            orders: vec![order("order-1", &book, &user, 1, false)],
            restocks: 1,
            ..base
        }
    }

    /// One order with stock to spare, redeeming points, with every kind of fault available.
    pub fn single_order() -> Scenario {
        let book = BookId::new("book-1").expect("valid");
        let user = UserId::new("user-1").expect("valid");
        Scenario {
            name: "one order under faults",
            orders: vec![order("order-1", &book, &user, 1, true)],
            book,
            user,
            copies: 2,
            unit_price: Money::from_minor_units(30),
            points: 10,
            funds: 10_000,
            faults: 2,
            crashes: 1,
            points_credits: 1,
            restocks: 0,
            max_attempts: 2,
            refusals: 0,
            foreign_replies: 0,
            zombies: 0,
            overtakes: 0,
            deaths: 0,
            cancels: 0,
            resolutions: 0,
            resubmissions: Vec::new(),
            show_traces: true,
        }
    }

    /// Two orders of the same customer racing for three copies, one of them redeeming points.
    pub fn two_orders() -> Scenario {
        let base = Scenario::single_order();
        let (book, user) = (base.book.clone(), base.user.clone());
        Scenario {
            name: "two orders racing",
            orders: vec![order("order-1", &book, &user, 2, true), order("order-2", &book, &user, 2, false)],
            copies: 3,
            faults: 3,
            crashes: 2,
            show_traces: false,
            ..base
        }
    }

    /// Three orders of the same customer for more copies than there are, one redeeming points.
    pub fn three_orders() -> Scenario {
        let base = Scenario::two_orders();
        let (book, user) = (base.book.clone(), base.user.clone());
        Scenario {
            name: "three orders racing",
            copies: 2,
            orders: vec![
                order("order-1", &book, &user, 1, true),
                order("order-2", &book, &user, 1, false),
                order("order-3", &book, &user, 1, false),
            ],
            faults: 2,
            crashes: 1,
            points_credits: 0,
            ..base
        }
    }

    /// Four orders for three copies: one redeeming points, three alike that do not.
    pub fn four_orders() -> Scenario {
        let base = Scenario::three_orders();
        let (book, user) = (base.book.clone(), base.user.clone());
        Scenario {
            name: "four orders racing",
            copies: 3,
            orders: vec![
                order("order-1", &book, &user, 1, true),
                order("order-2", &book, &user, 1, false),
                order("order-3", &book, &user, 1, false),
                order("order-4", &book, &user, 1, false),
            ],
            faults: 1,
            crashes: 1,
            ..base
        }
    }

    /// Compensations refused for good (a closed card, a closed points account) while a redeeming
    /// order fails.
    pub fn refused_refund() -> Scenario {
        Scenario {
            name: "compensations refused",
            faults: 2,
            crashes: 1,
            points_credits: 0,
            refusals: 2,
            show_traces: true,
            ..Scenario::single_order()
        }
    }

    /// Two orders whose courier waits receive replies from outside the worker: one forged from
    /// the order's public ids, one meant for the other checkout.
    pub fn foreign_replies() -> Scenario {
        let base = Scenario::two_orders();
        let (book, user) = (base.book.clone(), base.user.clone());
        Scenario {
            name: "foreign courier replies",
            orders: vec![order("order-1", &book, &user, 1, false), order("order-2", &book, &user, 1, false)],
            faults: 1,
            crashes: 1,
            points_credits: 0,
            foreign_replies: 2,
            show_traces: true,
            ..base
        }
    }

    /// An orchestrator superseded while it still runs, so two incarnations act for one checkout.
    pub fn zombie() -> Scenario {
        Scenario {
            name: "a zombie orchestrator",
            faults: 2,
            crashes: 1,
            points_credits: 0,
            zombies: 1,
            show_traces: true,
            ..Scenario::single_order()
        }
    }

    /// One order redeeming points whose every call may be overtaken by the checkout's next step
    /// (a charge that lands after its refund, a notice that lands after a retry), with failures
    /// to make the checkout give up behind it.
    pub fn overtaken() -> Scenario {
        Scenario {
            name: "calls overtaken",
            faults: 2,
            crashes: 0,
            points_credits: 0,
            overtakes: 1,
            ..Scenario::single_order()
        }
    }

    /// One order whose runner dies for good at any step (after a crash it restarts from, or
    /// with its calls failing): another runner takes the checkout over once its lease lapses.
    pub fn dead_runner() -> Scenario {
        Scenario {
            name: "a runner that dies",
            faults: 2,
            crashes: 1,
            points_credits: 0,
            deaths: 1,
            show_traces: true,
            ..Scenario::single_order()
        }
    }

    /// A customer who withdraws an order redeeming points, at any moment and twice, while a call
    /// of it may have its reply lost, or land late (a charge landing after its refund); the
    /// cancel claims the checkout, so the orchestrator it interrupts goes on as a zombie.
    pub fn cancelled() -> Scenario {
        Scenario {
            name: "cancelled by the customer",
            faults: 1,
            crashes: 1,
            points_credits: 0,
            overtakes: 1,
            cancels: 2,
            show_traces: true,
            ..Scenario::single_order()
        }
    }

    /// One order redeeming points whose compensation or courier notice is refused for good,
    /// raising it for an operator, who then resolves it, twice over (a second resolution, or one
    /// of the wrong kind), while its calls fail and its orchestrator crashes.
    pub fn resolved() -> Scenario {
        Scenario {
            name: "resolved by an operator",
            faults: 2,
            crashes: 1,
            points_credits: 0,
            refusals: 1,
            resolutions: 2,
            show_traces: true,
            ..Scenario::single_order()
        }
    }

    /// A client that submits its order again (as a retry, at once or after it ended) and reuses
    /// its id for an order of more copies.
    pub fn resubmitted() -> Scenario {
        let base = Scenario::single_order();
        let (book, user) = (base.book.clone(), base.user.clone());
        let first = order("order-1", &book, &user, 1, false);
        Scenario {
            name: "an order submitted again",
            copies: 2,
            resubmissions: vec![first.clone(), order("order-1", &book, &user, 2, false)],
            orders: vec![first],
            faults: 2,
            crashes: 1,
            points_credits: 0,
            show_traces: true,
            ..base
        }
    }

    /// Whether the scenario has faults only our saga has the parts to meet (refused
    /// compensations, foreign courier replies, zombies, overtaken calls, dead runners, cancels,
    /// resubmissions). The reference model has none of those parts, so it is not checked in
    /// such a scenario.
    pub fn is_hostile(&self) -> bool {
        self.refusals > 0
            || self.foreign_replies > 0
            || self.zombies > 0
            || self.overtakes > 0
            || self.deaths > 0
            || self.cancels > 0
            || self.resolutions > 0
            || !self.resubmissions.is_empty()
    }

    /// Every submission, in order: the first orders, then the resubmissions.
    pub fn submissions(&self) -> impl Iterator<Item = &Order> {
        self.orders.iter().chain(&self.resubmissions)
    }

    /// The scenario in one sentence, made from its fields so that it cannot drift from them.
    pub fn summary(&self) -> String {
        fn count(n: u64, one: &str, many: &str) -> String {
            format!("{n} {}", if n == 1 { one } else { many })
        }
        let orders: Vec<String> = self
            .orders
            .iter()
            .map(|o| {
                let points = if o.redeem_points() { ", redeeming points" } else { "" };
                format!("{} for {}{points}", o.id(), count(u64::from(o.quantity().get()), "copy", "copies"))
            })
            .collect();
        let mut extra = Vec::new();
        let mut budget = |n: u8, one: &str, many: &str| {
            if n > 0 {
                extra.push(count(u64::from(n), one, many));
            }
        };
        budget(self.refusals, "compensation refused for good", "compensations refused for good");
        budget(self.foreign_replies, "foreign courier reply", "foreign courier replies");
        budget(self.zombies, "zombie orchestrator", "zombie orchestrators");
        budget(
            self.overtakes,
            "call overtaken by its checkout's next step",
            "calls overtaken by their checkout's next step",
        );
        budget(self.deaths, "runner that dies for good", "runners that die for good");
        budget(self.cancels, "cancel by the customer", "cancels by the customer");
        budget(self.resolutions, "resolution by an operator", "resolutions by an operator");
        budget(self.restocks, "restock of one copy", "restocks of one copy");
        for order in &self.resubmissions {
            extra.push(format!(
                "{} submitted again for {}",
                order.id(),
                count(u64::from(order.quantity().get()), "copy", "copies")
            ));
        }
        let extra = if extra.is_empty() { String::new() } else { format!("; and {}", extra.join(", ")) };
        format!(
            "{} in stock at {} each; the customer has {}; {}; up to {}, {} and {} of {} points; \
             {} per forward step{extra}",
            count(u64::from(self.copies), "copy", "copies"),
            self.unit_price.minor_units(),
            count(self.points, "point", "points"),
            orders.join("; "),
            count(u64::from(self.faults), "fault", "faults"),
            count(u64::from(self.crashes), "crash", "crashes"),
            count(u64::from(self.points_credits), "outside credit", "outside credits"),
            POINTS_CREDIT,
            count(u64::from(self.max_attempts), "attempt", "attempts"),
        )
    }

    /// Every scenario the proofs cover.
    pub fn all() -> Vec<Scenario> {
        vec![
            Scenario::last_copy(),
            Scenario::single_order(),
            Scenario::two_orders(),
            Scenario::three_orders(),
            Scenario::four_orders(),
            Scenario::refused_refund(),
            Scenario::foreign_replies(),
            Scenario::zombie(),
            Scenario::resubmitted(),
            Scenario::overtaken(),
            Scenario::dead_runner(),
            Scenario::cancelled(),
            Scenario::resolved(),
        ]
    }
}
