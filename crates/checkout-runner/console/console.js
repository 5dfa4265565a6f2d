// The operator's console: one page over the HTTP API of `checkout serve` (the same routes and
// the same token as any other client). Everything shown comes from the API; what a checkout is
// drawn as is the saga's graph below, with the path its journal says it took. Text from the
// server is always set as text, never parsed as markup: an operator's note or an order id can
// hold nothing that runs here.
"use strict";

// The saga's phases, where each is drawn, and the transitions between them (the domain's, in
// `checkout_domain::states`). A picture of the graph, not a copy of its rules: the path drawn
// over it is read from the checkout's own journal.
const NODES = {
  "placed": [60, 40], "stock-reserved": [180, 40], "priced": [300, 40], "redeeming-points": [420, 40],
  "billing": [540, 40], "preparing-order": [660, 40], "notifying-courier": [780, 40], "dispatched": [900, 40],
  "rejected": [60, 140], "compensating": [420, 140], "compensated": [300, 210], "needs-operator": [540, 210],
  "notice-unconfirmed": [780, 140], "resolved": [780, 210],
};
const EDGES = [
  ["placed", "stock-reserved"], ["stock-reserved", "priced"], ["priced", "redeeming-points"], ["priced", "billing"],
  ["redeeming-points", "billing"], ["billing", "preparing-order"], ["preparing-order", "notifying-courier"],
  ["notifying-courier", "dispatched"], ["placed", "rejected"], ["placed", "compensating"],
  ["stock-reserved", "compensating"], ["priced", "compensating"], ["redeeming-points", "compensating"],
  ["billing", "compensating"], ["preparing-order", "compensating"], ["compensating", "compensated"],
  ["compensating", "needs-operator"], ["notifying-courier", "notice-unconfirmed"], ["needs-operator", "resolved"],
  ["notice-unconfirmed", "resolved"],
];
const SVG = "http://www.w3.org/2000/svg";

const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem("operator-token") || "";
let next = null;
let shown = null;

/// Calls the API; answers the parsed body, or throws the server's one-line error.
async function api(method, path, body) {
  const headers = {};
  if (token) headers["Authorization"] = "Bearer " + token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const answer = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await answer.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch (_) { parsed = null; }
  if (!answer.ok) throw new Error((parsed && parsed.error) || `${answer.status} ${answer.statusText}`);
  return parsed;
}

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text;
  row.appendChild(td);
  return td;
}

function ago(sinceMs) {
  if (!sinceMs) return "never";
  const s = Math.max(0, Math.round((Date.now() - sinceMs) / 1000));
  if (s < 60) return s + "s ago";
  if (s < 3600) return Math.round(s / 60) + "m ago";
  if (s < 86400) return Math.round(s / 3600) + "h ago";
  return Math.round(s / 86400) + "d ago";
}

async function list(more) {
  $("list-error").textContent = "";
  const params = new URLSearchParams();
  const states = [...$("state").selectedOptions].map((o) => o.value);
  if (states.length) params.set("state", states.join(","));
  if ($("raised").checked) params.set("raised", "true");
  if ($("stuck").value.trim()) params.set("stuckFor", $("stuck").value.trim());
  params.set("limit", "20");
  if (more && next) params.set("after", next);
  try {
    const page = await api("GET", "/checkouts?" + params);
    const body = $("list").tBodies[0];
    if (!more) body.replaceChildren();
    for (const item of page.items) {
      const row = document.createElement("tr");
      row.dataset.checkout = item.checkout;
      cell(row, item.state);
      cell(row, item.order);
      cell(row, item.checkout);
      cell(row, ago(item.sinceMs));
      row.addEventListener("click", () => show(item.checkout));
      body.appendChild(row);
    }
    next = page.next;
    $("more").hidden = !next;
  } catch (e) {
    $("list-error").textContent = e.message;
  }
}

/// The graph, with `path` (the phases the checkout went through, in order) drawn over it.
function draw(path) {
  const svg = $("graph");
  svg.replaceChildren();
  const defs = document.createElementNS(SVG, "defs");
  const marker = document.createElementNS(SVG, "marker");
  const arrow = { id: "arrow", viewBox: "0 0 10 10", refX: "10", refY: "5", markerWidth: "8", markerHeight: "8", markerUnits: "userSpaceOnUse", orient: "auto" };
  for (const [k, v] of Object.entries(arrow)) marker.setAttribute(k, v);
  const tip = document.createElementNS(SVG, "path");
  tip.setAttribute("d", "M 0 0 L 10 5 L 0 10 z");
  tip.setAttribute("fill", "#889");
  marker.appendChild(tip);
  defs.appendChild(marker);
  svg.appendChild(defs);
  const taken = new Set();
  for (let i = 1; i < path.length; i++) if (path[i] !== path[i - 1]) taken.add(path[i - 1] + ">" + path[i]);
  for (const [from, to] of EDGES) {
    const [x1, y1] = NODES[from], [x2, y2] = NODES[to];
    const dx = x2 - x1, dy = y2 - y1, len = Math.hypot(dx, dy);
    // From box edge to box edge, roughly: boxes are 104 x 30.
    const shrink = Math.abs(dx) * 15 > Math.abs(dy) * 52 ? 52 / Math.abs(dx) * len : 15 / Math.abs(dy) * len;
    const [ax, ay, bx, by] = [x1 + dx / len * shrink, y1 + dy / len * shrink, x2 - dx / len * shrink, y2 - dy / len * shrink];
    // An edge that skips a node on its row bends over it, so it does not seem to pass through.
    const bend = dy === 0 && Math.abs(dx) > 130 ? -32 : 0;
    const edge = document.createElementNS(SVG, "path");
    edge.setAttribute("d", `M ${ax} ${ay + (bend ? -15 : 0)} Q ${(ax + bx) / 2} ${(ay + by) / 2 + bend * 2} ${bx} ${by + (bend ? -15 : 0)}`);
    edge.setAttribute("class", "edge" + (taken.has(from + ">" + to) ? " taken" : ""));
    edge.dataset.edge = from + ">" + to;
    svg.appendChild(edge);
  }
  const current = path[path.length - 1];
  for (const [name, [x, y]] of Object.entries(NODES)) {
    const g = document.createElementNS(SVG, "g");
    g.setAttribute("class", "node" + (name === current ? " current" : path.includes(name) ? " visited" : ""));
    g.dataset.phase = name;
    const rect = document.createElementNS(SVG, "rect");
    for (const [k, v] of Object.entries({ x: x - 52, y: y - 15, width: 104, height: 30, rx: 6 })) rect.setAttribute(k, v);
    const text = document.createElementNS(SVG, "text");
    text.setAttribute("x", x); text.setAttribute("y", y);
    text.textContent = name;
    g.append(rect, text);
    svg.appendChild(g);
  }
}

function fact(list, name, value) {
  if (value === undefined || value === null || value === "") return;
  const dt = document.createElement("dt");
  dt.textContent = name;
  const dd = document.createElement("dd");
  dd.textContent = typeof value === "string" ? value : JSON.stringify(value);
  dd.dataset.fact = name;
  list.append(dt, dd);
}

async function show(checkout) {
  shown = checkout;
  $("action-result").textContent = "";
  for (const row of $("list").tBodies[0].rows) row.classList.toggle("selected", row.dataset.checkout === checkout);
  try {
    const [status, history] = await Promise.all([
      api("GET", "/checkouts/" + encodeURIComponent(checkout)),
      api("GET", "/checkouts/" + encodeURIComponent(checkout) + "/history"),
    ]);
    $("detail").hidden = false;
    $("d-id").textContent = status.checkout;
    $("d-order").textContent = status.order.orderId;
    $("d-state").textContent = status.state;
    $("d-outcome").textContent = status.outcome ? "(ended: " + status.outcome + ")" : "";
    const facts = $("facts");
    facts.replaceChildren();
    const o = status.order;
    fact(facts, "order", `${o.quantity} × ${o.bookId} for ${o.userId}${o.redeem ? ", redeeming points" : ""}`);
    if (status.pricing) fact(facts, "price", `${status.pricing.total} total, ${status.pricing.pointsRedeemed} points, ${status.pricing.amountDue} due`);
    fact(facts, "holds", `${status.holds.copies} copies, ${status.holds.points} points, ${status.holds.charged} charged`);
    fact(facts, "courier", status.courier);
    if (status.cause) fact(facts, "failed because", status.cause.kind + (status.cause.detail ? ": " + status.cause.detail : "") + (status.cause.at ? " (at " + status.cause.at + ")" : ""));
    if (status.owes && status.owes.length) fact(facts, "owes", status.owes.join(", "));
    if (status.unreturned && status.unreturned.length) fact(facts, "refused for good", status.unreturned.map((u) => u.compensation + ": " + u.detail).join("; "));
    fact(facts, "notice refused", status.noticeRefused);
    if (status.resolution) fact(facts, "resolution", status.resolution.kind + ": " + status.resolution.note);
    const body = $("history").tBodies[0];
    body.replaceChildren();
    history.forEach((entry, i) => {
      const row = document.createElement("tr");
      cell(row, String(i + 1)); cell(row, entry.step); cell(row, entry.result); cell(row, entry.state); cell(row, String(entry.attempt));
      body.appendChild(row);
    });
    const path = ["placed", ...history.map((e) => e.state)];
    draw(path);
    const raised = status.state === "needs-operator" || status.state === "notice-unconfirmed";
    $("resolve").hidden = !raised;
    $("cancel").hidden = !!status.outcome;
  } catch (e) {
    $("action-result").textContent = e.message;
  }
}

async function act(what, run) {
  try {
    const answer = await run();
    $("action-result").textContent = what + ": done" + (answer && answer.at ? " (was " + answer.at + ")" : "");
  } catch (e) {
    $("action-result").textContent = what + " refused: " + e.message;
  }
  await show(shown);
  await list(false);
}

function setup() {
  for (const name of Object.keys(NODES)) {
    const option = document.createElement("option");
    option.value = option.textContent = name;
    $("state").appendChild(option);
  }
  $("token").value = token;
  $("who").textContent = token ? "token set" : "no token: listing and resolving need one";
  $("login").addEventListener("submit", (e) => {
    e.preventDefault();
    token = $("token").value.trim();
    sessionStorage.setItem("operator-token", token);
    $("who").textContent = token ? "token set" : "no token";
    list(false);
  });
  $("filters").addEventListener("submit", (e) => { e.preventDefault(); list(false); });
  $("more").addEventListener("click", () => list(true));
  $("refresh").addEventListener("click", () => show(shown));
  $("place").addEventListener("submit", async (e) => {
    e.preventDefault();
    const order = {
      orderId: $("p-order").value.trim(), bookId: $("p-book").value.trim(), userId: $("p-user").value.trim(),
      quantity: Number($("p-quantity").value), redeem: $("p-redeem").checked,
    };
    try {
      const placed = await api("POST", "/orders", order);
      $("place-result").textContent = "placed " + placed.order + ": checkout " + placed.checkout;
      await list(false);
      await show(placed.checkout);
    } catch (err) {
      $("place-result").textContent = "refused: " + err.message;
    }
  });
  $("cancel").addEventListener("click", () => {
    if (!confirm("Cancel order " + $("d-order").textContent + "? Everything it took is given back, unless a courier is already assigned.")) return;
    act("cancel", () => api("POST", "/checkouts/" + encodeURIComponent(shown) + "/cancel", {}));
  });
  $("resolve").addEventListener("submit", (e) => {
    e.preventDefault();
    const resolution = { kind: $("r-kind").value, note: $("r-note").value };
    if (!confirm("Resolve order " + $("d-order").textContent + " as " + resolution.kind + "? This records what was done by hand; nothing is given back by the shop.")) return;
    act("resolve", () => api("POST", "/checkouts/" + encodeURIComponent(shown) + "/resolve", resolution));
  });
  $("audit-run").addEventListener("click", async () => {
    const out = $("audit");
    out.replaceChildren();
    try {
      const report = await api("GET", "/audit");
      const verdict = document.createElement("p");
      verdict.className = report.passed ? "pass" : "fail";
      verdict.textContent = report.passed ? "audit passed" : "audit failed: " + report.findings.length + " findings";
      out.appendChild(verdict);
      const phases = document.createElement("p");
      phases.textContent = Object.entries(report.phases).map(([p, n]) => p + " " + n).join(", ") || "no checkouts";
      out.appendChild(phases);
      for (const finding of report.findings) {
        const line = document.createElement("p");
        line.className = "error";
        line.textContent = finding;
        out.appendChild(line);
      }
    } catch (err) {
      out.textContent = err.message;
    }
  });
  if (token) list(false);
}

document.addEventListener("DOMContentLoaded", setup);
