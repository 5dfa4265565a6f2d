//! The situations both models are checked in: which orders run at once, over how much stock and
//! how many points, and how many faults the environment may inject. Faults are bounded so that
//! the state space is finite; within the bound the checker tries every placement of them.

use checkout_domain::{BookId, CheckoutId, Money, Order, OrderId, Quantity, UserId};

/// The points one outside credit (a loyalty reward from elsewhere) adds to the customer.
pub const POINTS_CREDIT: u64 = 5;

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
    /// Outside credits of [`POINTS_CREDIT`] points that may land in one run.
    pub points_credits: u8,
    /// How many attempts a forward step gets before the checkout gives up and compensates.
    pub max_attempts: u8,
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
    /// One order for the last copy in stock, paying without points.
    pub fn last_copy() -> Scenario {
        let base = Scenario::single_order();
        let (book, user) = (base.book.clone(), base.user.clone());
        Scenario { name: "last copy", copies: 1, orders: vec![order("order-1", &book, &user, 1, false)], ..base }
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
            max_attempts: 2,
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

    /// The id each order's checkout is opened under: one checkout per order, `ck-<order id>`.
    pub fn checkout_ids(&self) -> Vec<CheckoutId> {
        self.orders.iter().map(|o| CheckoutId::new(format!("ck-{}", o.id())).expect("a short valid id")).collect()
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
        format!(
            "{} in stock at {} each; the customer has {}; {}; up to {}, {} and {} of {} points; \
             {} per forward step",
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
        ]
    }
}
