// Production by line and carrier freshness: the lines under an agency (`productionSummary` grouped
// by DOWNLINE, walked down sub-agency by sub-agency with a breadcrumb back), each carrier's newest
// report and the policies it left out, and the policies changed since a day.

import { $, count, day, h, show, when } from "./dom.js";
import { LineWalk } from "./lines.js";
import { POLICY_STATUS, said } from "./words.js";

const LINES = `query($of: ID) {
  productionSummary(groupBy: [DOWNLINE], downlineOf: $of) {
    line { agency { id name } agent { id name npn } } submitted net disenrolled } }`;

const FRESHNESS = `{ carrierFreshness {
  carrier { key name } lastReportAsOf lastUploadedAt policies notSeenInLastReport stale } }`;

const POLICIES = `query($filter: ProductionFilter) {
  production(filter: $filter, first: 50) {
    totalCount
    edges { node {
      id carrier carrierPolicyId clientName status lastSeenAsOf updatedAt agent { name } } } } }`;

export class Insight {
  constructor(api, viewer, { authLost }) {
    this.api = api;
    this.authLost = authLost;
    this.walk = new LineWalk(viewer, $("lines-path"), () => this.lines());
    this.carriers = new Map(); // key → name, for the list headings
    this.listeners = [
      [$("insight-refresh"), "click", () => this.load()],
      [$("missing-close"), "click", () => this.closeMissing()],
      [$("changed-form"), "submit", (event) => {
        event.preventDefault();
        this.changed();
      }],
    ];
    for (const [element, name, listener] of this.listeners) {
      element.addEventListener(name, listener);
    }
  }

  stop() {
    for (const [element, name, listener] of this.listeners) {
      element.removeEventListener(name, listener);
    }
  }

  async load() {
    $("insight-error").textContent = "";
    await Promise.all([this.lines(), this.freshness()]);
  }

  failed(failure, where = $("insight-error")) {
    if (failure.status === 401) this.authLost(failure.message);
    else where.textContent = failure.message;
  }

  // --- lines -------------------------------------------------------------------------------

  async lines() {
    const table = $("lines-table");
    table.setAttribute("aria-busy", "true");
    try {
      const { productionSummary } = await this.api.gql(LINES, { of: this.walk.at.id });
      this.walk.breadcrumb();
      $("lines-caption").textContent = `Production by line under ${this.walk.at.name}`;
      this.linesTable(productionSummary);
    } catch (failure) {
      this.failed(failure);
    } finally {
      table.removeAttribute("aria-busy");
    }
  }

  linesTable(buckets) {
    const totals = { submitted: 0, net: 0, disenrolled: 0 };
    const rows = buckets.map((b) => {
      for (const key of Object.keys(totals)) totals[key] += b[key];
      return h("tr", {},
        h("th", { scope: "row" }, this.walk.name(b.line)),
        h("td", { class: "num" }, count(b.submitted)),
        h("td", { class: "num" }, count(b.net)),
        h("td", { class: "num" }, count(b.disenrolled)));
    });
    $("lines-body").replaceChildren(...rows);
    const table = $("lines-table");
    table.querySelector("tfoot")?.remove();
    if (buckets.length) {
      table.append(h("tfoot", {}, h("tr", {},
        h("th", { scope: "row" }, "All lines"),
        h("td", { class: "num" }, count(totals.submitted)),
        h("td", { class: "num" }, count(totals.net)),
        h("td", { class: "num" }, count(totals.disenrolled)))));
    }
    show($("lines-empty"), buckets.length === 0);
  }

  // --- freshness ---------------------------------------------------------------------------

  async freshness() {
    const table = $("freshness-table");
    table.setAttribute("aria-busy", "true");
    try {
      const { carrierFreshness } = await this.api.gql(FRESHNESS);
      this.freshnessTable(carrierFreshness);
    } catch (failure) {
      this.failed(failure);
    } finally {
      table.removeAttribute("aria-busy");
    }
  }

  freshnessTable(entries) {
    // The carriers the viewer has policies with first (a stable sort keeps the API's order
    // otherwise): a long tail of carriers never sold still shows, below them.
    const ordered = [...entries].sort((a, b) => (b.policies > 0) - (a.policies > 0));
    const rows = ordered.map((e) => {
      this.carriers.set(e.carrier.key, e.carrier.name);
      const missing = e.notSeenInLastReport
        ? h("button", {
          type: "button",
          class: "link",
          "aria-label": `${e.notSeenInLastReport} ${e.carrier.name} policies not in the last report`,
          onclick: () => this.missing(e),
        }, count(e.notSeenInLastReport))
        : count(e.notSeenInLastReport);
      return h("tr", { class: e.stale ? "stale" : null, dataset: { carrier: e.carrier.key } },
        h("th", { scope: "row" }, e.carrier.name,
          e.stale ? h("span", { class: "flag" }, "Stale") : null),
        h("td", {}, e.lastReportAsOf ? day(e.lastReportAsOf) : "No report yet"),
        h("td", {}, when(e.lastUploadedAt)),
        h("td", { class: "num" }, count(e.policies)),
        h("td", { class: "num missing" }, missing));
    });
    $("freshness-body").replaceChildren(...rows);
  }

  async missing(entry) {
    const filter = { carriers: [entry.carrier.key], notSeenSince: entry.lastReportAsOf };
    const title = $("missing-title");
    title.textContent = `${entry.carrier.name}: policies not in the report as of ${
      day(entry.lastReportAsOf)}`;
    show($("missing"), true);
    await this.policies(filter, $("missing-list"), "lastSeenAsOf", $("insight-error"));
    title.focus();
  }

  closeMissing() {
    show($("missing"), false);
    $("missing-list").replaceChildren();
  }

  // --- changed since -----------------------------------------------------------------------

  async changed() {
    const picked = $("changed-since").value;
    if (!picked) return;
    // The start of the picked day where the reader is, as the instant the API compares with.
    const since = new Date(`${picked}T00:00:00`).toISOString();
    $("changed-title").textContent = `Policies changed since ${day(picked)}`;
    show($("changed"), true);
    $("changed-error").textContent = "";
    await this.policies({ updatedSince: since }, $("changed-list"), "updatedAt",
      $("changed-error"));
  }

  // --- policy lists ------------------------------------------------------------------------

  /** The first 50 policies matching `filter`, with how many match, into `box`. */
  async policies(filter, box, dateColumn, errorAt) {
    box.setAttribute("aria-busy", "true");
    try {
      const { production } = await this.api.gql(POLICIES, { filter });
      box.replaceChildren(...this.policyList(production, dateColumn));
    } catch (failure) {
      this.failed(failure, errorAt);
    } finally {
      box.removeAttribute("aria-busy");
    }
  }

  policyList({ totalCount, edges }, dateColumn) {
    const shown = edges.length;
    const summary = h("p", { class: "hint total" },
      totalCount === shown
        ? `${count(totalCount)} ${totalCount === 1 ? "policy" : "policies"}`
        : `${count(totalCount)} policies; the first ${count(shown)} shown`);
    if (!shown) return [summary];
    const dated = dateColumn === "updatedAt" ? "Changed" : "Last seen";
    const rows = edges.map(({ node: p }) => h("tr", {},
      h("th", { scope: "row" }, p.clientName),
      h("td", {}, p.carrierPolicyId),
      h("td", {}, this.carriers.get(p.carrier) || p.carrier),
      h("td", {}, said(POLICY_STATUS, p.status)),
      h("td", {}, p.agent ? p.agent.name : "No matching agent"),
      h("td", {}, dateColumn === "updatedAt" ? when(p.updatedAt) : day(p.lastSeenAsOf))));
    const table = h("table", { class: "data compact" },
      h("thead", {}, h("tr", {},
        ["Client", "Policy id", "Carrier", "Status", "Agent", dated].map((label) =>
          h("th", { scope: "col" }, label)))),
      h("tbody", {}, rows));
    return [summary, h("div", { class: "scroll tall" }, table)];
  }
}
