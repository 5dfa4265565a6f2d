// The console end to end, in headless Chromium driven by playwright-core: a tired operator
// places orders, watches one dispatch, cancels one (and changes their mind about another), finds
// it raised, resolves it with a note that looks like markup, and runs the audit. Screenshots go
// to the directory given; any failed check exits non-zero with the reason.
//
// usage: node console.mjs <base url> <operator token> <screenshot dir>
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const [url, token, shots] = process.argv.slice(2);
if (!url || !token || !shots) {
  console.error("usage: node console.mjs <base url> <operator token> <screenshot dir>");
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

function check(ok, what) {
  if (!ok) throw new Error("check failed: " + what);
  console.log("ok: " + what);
}

/// Waits until `probe` answers true, clicking refresh between tries.
async function until(page, what, probe, seconds = 30) {
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    if (await probe()) return check(true, what);
    await page.click("#refresh").catch(() => {});
    await page.waitForTimeout(250);
  }
  check(false, what + " within " + seconds + " s");
}

const state = (page) => page.textContent("#d-state");

async function place(page, order, copies) {
  await page.fill("#p-order", order);
  await page.fill("#p-quantity", String(copies));
  await page.click("#place button[type=submit]");
  await page.waitForFunction((o) => document.querySelector("#place-result").textContent.includes(o), order);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
let failed = false;
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
const errors = [];
page.on("pageerror", (e) => errors.push(e.message));
// The one refusal the test asks for (listing without the token) is the only error expected.
page.on("console", (m) => { if (m.type() === "error" && !m.text().includes("status of 401")) errors.push(m.text()); });
try {
  await page.goto(url + "/");
  check((await page.title()) === "checkout console", "the console loads from the server");

  // Without the token, the listing is refused and says why.
  await page.click("#filters button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#list-error").textContent.length > 0);
  check((await page.textContent("#list-error")).includes("Authorization"), "no token: the listing is refused");
  await page.fill("#token", token);
  await page.click("#login button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#list-error").textContent === "");

  // An order dispatches, drawn on the saga's graph along the path it took.
  await place(page, "e2e-dispatch", 1);
  await until(page, "the placed order is dispatched", async () => (await state(page)) === "dispatched");
  check(await page.isVisible("#graph .node.current[data-phase='dispatched']"), "dispatched is the current node");
  check((await page.locator("#graph .edge.taken[data-edge='notifying-courier>dispatched']").count()) === 1, "the path to dispatch is drawn");
  check(!((await page.locator("#graph .edge.taken[data-edge='compensating>compensated']").count()) === 1), "no compensation is drawn");
  check((await page.locator("#history tbody tr").count()) >= 6, "its history is listed");
  await page.screenshot({ path: join(shots, "1-dispatched.png"), fullPage: true });

  // A second order waits for its courier; the operator clicks cancel, then says no: nothing happens.
  await place(page, "e2e-kept", 1);
  await until(page, "the second order waits for its courier", async () => (await state(page)) === "preparing-order");
  page.once("dialog", (d) => d.dismiss());
  await page.click("#cancel");
  await page.waitForTimeout(300);
  check((await page.textContent("#action-result")) === "", "a cancel the operator did not confirm is not sent");

  // A third is cancelled while it waits; its refund is refused (a closed card), so it is raised.
  await place(page, "e2e-cancel", 2);
  await until(page, "the third order waits for its courier", async () => (await state(page)) === "preparing-order");
  page.once("dialog", (d) => d.accept());
  await page.click("#cancel");
  await until(page, "the cancelled order is raised for an operator", async () => (await state(page)) === "needs-operator");
  check((await page.locator("#graph .edge.taken[data-edge='compensating>needs-operator']").count()) === 1, "the path to the operator is drawn");
  check((await page.textContent("[data-fact='refused for good']")).includes("refund"), "the refused refund is named");
  await page.screenshot({ path: join(shots, "2-raised.png"), fullPage: true });

  // It is what the raised listing shows.
  await page.check("#raised");
  await page.click("#filters button[type=submit]");
  const shown = await page
    .waitForFunction(() => {
      const rows = [...document.querySelectorAll("#list tbody tr")].map((r) => r.textContent);
      return rows.length === 1 && rows[0].includes("e2e-cancel");
    }, null, { timeout: 10000 })
    .then(() => true, () => false);
  check(shown, "the raised listing shows the one raised order");

  // Resolved by hand, with a note that looks like markup: shown as text.
  const note = "refunded at the till <b>by hand</b> <img src=x onerror=alert(1)>";
  await page.selectOption("#r-kind", "given-back-by-hand");
  await page.fill("#r-note", note);
  page.once("dialog", (d) => d.accept());
  await page.click("#resolve button[type=submit]");
  await until(page, "the raised order is resolved", async () => (await state(page)) === "resolved");
  check((await page.textContent("[data-fact='resolution']")) === "given-back-by-hand: " + note, "the note is shown as written");
  check((await page.locator("[data-fact='resolution'] b, [data-fact='resolution'] img").count()) === 0, "the note's markup is not rendered");
  check(await page.isVisible("#graph .node.current[data-phase='resolved']"), "resolved is the current node");
  await page.screenshot({ path: join(shots, "3-resolved.png"), fullPage: true });

  // The audit passes, and says so.
  await page.click("#audit-run");
  await page.waitForSelector("#audit p");
  check((await page.textContent("#audit p")) === "audit passed", "the audit passes");
  await page.screenshot({ path: join(shots, "4-audit.png"), fullPage: true });
  check(errors.length === 0, "the page logged no error: " + errors.join("; "));
} catch (e) {
  failed = true;
  console.error(e.message);
  await page.screenshot({ path: join(shots, "failed.png"), fullPage: true }).catch(() => {});
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
