// The checkout saga as a Restate service: the same five steps as ours (reserve stock, calculate
// the total, redeem points, charge, notify the courier), each a durable step (ctx.run), with the
// compensations (release, restore points, refund) run as durable steps when a step fails for
// good. The stores are in memory of this process, as cheap as they can be, so that what is
// measured is the engine's cost per durable step.
import * as restate from "@restatedev/restate-sdk";
import * as http2 from "node:http2";

// Node 20 lacks Promise.withResolvers, which this SDK version calls.
if (typeof (Promise as any).withResolvers !== "function") {
  (Promise as any).withResolvers = function <T>() {
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

type Order = { orderId: string; bookId: string; userId: string; quantity: number; redeem?: boolean };
type Outcome = { orderId: string; state: string; total: number; pointsRedeemed: number; charged: number };

const PRICE = 1299;
const stock = new Map<string, number>();
const points = new Map<string, number>();
const charges = new Map<string, number>();
let notified = 0;

function reserve(book: string, quantity: number): void {
  const have = stock.get(book) ?? 1_000_000_000;
  if (have < quantity) throw new restate.TerminalError("out of stock");
  stock.set(book, have - quantity);
}

function redeem(user: string, upTo: number): number {
  const have = points.get(user) ?? 1_000;
  const taken = Math.min(have, upTo);
  points.set(user, have - taken);
  return taken;
}

const checkout = restate.service({
  name: "Checkout",
  handlers: {
    checkout: async (ctx: restate.Context, order: Order): Promise<Outcome> => {
      const undo: Array<() => Promise<unknown>> = [];
      try {
        await ctx.run("reserve-stock", () => reserve(order.bookId, order.quantity));
        undo.push(() => ctx.run("release-stock", () => stock.set(order.bookId, (stock.get(order.bookId) ?? 0) + order.quantity)));
        const total = await ctx.run("calculate-total", () => order.quantity * PRICE);
        const redeemed = order.redeem ? await ctx.run("redeem-points", () => redeem(order.userId, total)) : 0;
        undo.push(() => ctx.run("restore-points", () => points.set(order.userId, (points.get(order.userId) ?? 0) + redeemed)));
        const due = total - redeemed;
        await ctx.run("charge", () => charges.set(order.orderId, due));
        undo.push(() => ctx.run("refund", () => charges.delete(order.orderId)));
        await ctx.run("notify-courier", () => notified++);
        return { orderId: order.orderId, state: "dispatched", total, pointsRedeemed: redeemed, charged: due };
      } catch (e) {
        if (e instanceof restate.TerminalError) {
          for (const compensate of undo.reverse()) await compensate();
        }
        throw e;
      }
    },
  },
});

const port = Number(process.env.PORT ?? 9080);
http2
  .createServer(restate.createEndpointHandler({ services: [checkout] }))
  .listen(port, "127.0.0.1", () => console.log(`checkout service on 127.0.0.1:${port}`));
