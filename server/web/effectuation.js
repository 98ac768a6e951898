// Effectuation: which submitted applications became paying policies. The effectuation rate and
// the applications of each status by line (the lines under an agency, walked down as on the
// production view) and by carrier, each a `reconciliationSummary`; a status's count lists its
// applications (`reconciliation`, a page at a time) with the reason and, where the viewer may see
// it, the policy; and the `effectuation` export of what the tables or the list hold.

import { $, announce, count, day, h, percent, show, when } from "./dom.js";
import { LineWalk, lineFilter, lineLabel } from "./lines.js";
import { POLICY_STATUS, RECONCILIATION_STATUS, said } from "./words.js";

const STATUSES = Object.keys(RECONCILIATION_STATUS);
const LINE = "line { agency { id name } agent { id name npn } }";
const SUMMARY = `query($of: ID) {
  lines: reconciliationSummary(groupBy: [DOWNLINE], downlineOf: $of) {
    ${LINE} count effectuationRate }
  lineStatuses: reconciliationSummary(groupBy: [DOWNLINE, STATUS], downlineOf: $of) {
    ${LINE} status count }
  carriers: reconciliationSummary(groupBy: [CARRIER], downlineOf: $of) {
    carrier count effectuationRate }
  carrierStatuses: reconciliationSummary(groupBy: [CARRIER, STATUS], downlineOf: $of) {
    carrier status count }
  all: reconciliationSummary(groupBy: [], downlineOf: $of) { count effectuationRate }
  plugins: carriers { key name } }`;
const PAGE = 25;
const LIST = `query($filter: ReconciliationFilter, $after: String) {
  reconciliation(filter: $filter, first: ${PAGE}, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node {
      status reason
      client { id firstName lastName carrier submittedAt agent { name } }
      policy { carrier carrierPolicyId status agentNpn agent { name } } } } } }`;
const POLICY_CELLS = ["carrier", "id", "status", "agent"];
const NOT_ALLOWED = "Your agency administrator has turned exports off for your agency.";

function lineKey(line) {
  return line && line.agency ? `agency:${line.agency.id}`
    : line && line.agent ? `agent:${line.agent.id}` : "none";
}

/** Each bucket's status counts, by the key of what it is grouped by besides the status. */
function byStatus(buckets, key) {
  const counts = new Map();
  for (const b of buckets) {
    const k = key(b);
    if (!counts.has(k)) counts.set(k, {});
    counts.get(k)[b.status] = b.count;
  }
  return counts;
}

export class Effectuation {
  constructor(api, viewer, { authLost, requestExport }) {
    this.api = api;
    this.viewer = viewer;
    this.authLost = authLost;
    this.requestExport = requestExport; // Exports.requestExport: the export flow and its history
    this.walk = new LineWalk(viewer, $("effect-path"), () => this.load());
    this.plugins = new Map(); // carrier key → name
    this.listing = null; // the open list: {filter, title, cursor, shown, opener}
    this.listeners = [
      [$("effect-refresh"), "click", () => this.load()],
      [$("effect-export"), "click", () => this.export(this.scope(),
        `the applications under ${this.walk.at.name}`, $("effect-export"))],
      [$("effect-list-export"), "click", () => this.export(this.listing.filter,
        this.listing.title, $("effect-list-export"))],
      [$("effect-more"), "click", () => this.more()],
      [$("effect-close"), "click", () => this.closeList({ refocus: true })],
    ];
    for (const [element, name, listener] of this.listeners) {
      element.addEventListener(name, listener);
    }
    for (const [name, first] of [["lines", "Line"], ["carriers", "Carrier"]]) {
      $(`effect-${name}-head`).replaceChildren(h("tr", {},
        h("th", { scope: "col" }, first),
        h("th", { scope: "col", class: "num" }, "Rate"),
        STATUSES.map((status) =>
          h("th", { scope: "col", class: "num" }, said(RECONCILIATION_STATUS, status))),
        h("th", { scope: "col", class: "num" }, "Applications")));
    }
    for (const button of [$("effect-export"), $("effect-list-export")]) {
      button.disabled = !viewer.exportsAllowed;
      button.title = viewer.exportsAllowed ? "" : NOT_ALLOWED;
    }
  }

  stop() {
    for (const [element, name, listener] of this.listeners) {
      element.removeEventListener(name, listener);
    }
  }

  failed(failure, where = $("effect-error")) {
    if (failure.status === 401) this.authLost(failure.message);
    else where.textContent = failure.message;
  }

  /** The applications the view covers: the agency walked to (the viewer's scope at home). */
  scope() {
    return this.walk.at.id ? { agencyIds: [this.walk.at.id] } : {};
  }

  // --- the summaries -------------------------------------------------------------------------

  async load() {
    $("effect-error").textContent = "";
    this.closeList();
    const box = $("effectuation");
    box.setAttribute("aria-busy", "true");
    try {
      const data = await this.api.gql(SUMMARY, { of: this.walk.at.id });
      this.plugins = new Map(data.plugins.map((p) => [p.key, p.name]));
      const where = this.walk.at.name;
      this.walk.breadcrumb();
      $("effect-lines-caption").textContent = `Effectuation by line under ${where}`;
      $("effect-carriers-caption").textContent = `Effectuation by carrier under ${where}`;
      const [all] = data.all;
      this.headline(all);
      const lineCounts = byStatus(data.lineStatuses, (b) => lineKey(b.line));
      this.table("lines", "All lines", all, data.lines.map((b) => ({
        key: lineKey(b.line),
        head: this.walk.name(b.line),
        label: lineLabel(b.line),
        titled: true,
        bucket: b,
        statuses: lineCounts.get(lineKey(b.line)) || {},
        filter: lineFilter(b.line),
      })));
      const carrierCounts = byStatus(data.carrierStatuses, (b) => b.carrier);
      this.table("carriers", "All carriers", all, data.carriers.map((b) => ({
        key: b.carrier || "none",
        head: b.carrier ? this.carrierName(b.carrier)
          : h("span", { class: "unmatched" }, "No carrier feed"),
        label: b.carrier ? this.carrierName(b.carrier) : "carriers no plugin reads",
        titled: b.carrier !== null, // the feedless row's one status says it all
        bucket: b,
        statuses: carrierCounts.get(b.carrier) || {},
        // NO_CARRIER_FEED is the one status of the applications naming no plugin
        filter: b.carrier ? { ...this.scope(), carriers: [b.carrier] } : this.scope(),
      })));
    } catch (failure) {
      this.failed(failure);
    } finally {
      box.removeAttribute("aria-busy");
    }
  }

  carrierName(key) {
    return this.plugins.get(key) || key;
  }

  headline(all) {
    const rate = $("effect-rate");
    rate.textContent = percent(all ? all.effectuationRate : null);
    rate.dataset.rate = all && all.effectuationRate !== null ? String(all.effectuationRate) : "";
    $("effect-total").textContent = count(all ? all.count : 0);
  }

  /** One table (`name`: "lines" or "carriers"): a row per group with its rate, a count per
   * status (a button listing those applications) and its total; the whole view in the footer. */
  table(name, allLabel, all, rows) {
    const body = $(`effect-${name}-body`);
    body.replaceChildren(...rows.map((row) => this.row(row)));
    const table = $(`effect-${name}-table`);
    table.querySelector("tfoot")?.remove();
    if (rows.length) {
      const totals = {};
      for (const row of rows) {
        for (const s of STATUSES) totals[s] = (totals[s] || 0) + (row.statuses[s] || 0);
      }
      table.append(h("tfoot", {}, this.row({
        key: "all",
        head: allLabel,
        label: `${allLabel.toLowerCase()} under ${this.walk.at.name}`,
        titled: true,
        bucket: all,
        statuses: totals,
        filter: this.scope(),
      })));
    }
    show($(`effect-${name}-empty`), rows.length === 0);
  }

  /** A row: `head` (its first cell), `label` (it in words), `bucket` (its count and rate),
   * `statuses` (count by status), `filter` (its applications); `titled`: a list of its
   * applications is headed by the label and the status, else by the status alone. */
  row({ key, head, label, titled, bucket, statuses, filter }) {
    const rate = bucket.effectuationRate;
    return h("tr", { dataset: { row: key } },
      h("th", { scope: "row" }, head),
      h("td", {
        class: "num rate",
        dataset: { rate: rate === null ? "" : String(rate) },
        title: rate === null ? "Nothing to rate yet: each application awaits its carrier or has "
          + "no carrier feed" : null,
      }, percent(rate)),
      STATUSES.map((status) => h("td", { class: "num", dataset: { status } },
        this.countButton(status, statuses[status] || 0, filter, label, titled))),
      h("td", { class: "num total" }, count(bucket.count)));
  }

  countButton(status, n, filter, label, titled) {
    if (!n) return count(0);
    const words = said(RECONCILIATION_STATUS, status);
    const title = titled ? `${label.charAt(0).toUpperCase()}${label.slice(1)}: ${words}` : words;
    return h("button", {
      type: "button",
      class: "link",
      "aria-label": `${words}: list the ${n} ${n === 1 ? "application" : "applications"} of ${
        label}`,
      onclick: (event) =>
        this.list({ ...filter, statuses: [status] }, title, event.currentTarget),
    }, count(n));
  }

  // --- a status's applications ---------------------------------------------------------------

  async list(filter, title, opener) {
    this.listing = { filter, title, cursor: null, shown: 0, opener };
    $("effect-list-title").textContent = title;
    $("effect-list-body").replaceChildren();
    $("effect-list-total").textContent = "";
    $("effect-list-error").textContent = "";
    show($("effect-list"), true);
    await this.more();
    $("effect-list-title").focus();
  }

  async more() {
    const listing = this.listing;
    if (!listing) return;
    const table = $("effect-list-table");
    table.setAttribute("aria-busy", "true");
    try {
      const { reconciliation } = await this.api.gql(LIST, {
        filter: listing.filter,
        after: listing.cursor,
      });
      if (this.listing !== listing) return; // closed or replaced meanwhile
      const rows = reconciliation.edges.map(({ node }) => this.application(node));
      $("effect-list-body").append(...rows);
      listing.cursor = reconciliation.pageInfo.endCursor;
      listing.shown += rows.length;
      const total = reconciliation.totalCount;
      $("effect-list-total").textContent = listing.shown === total
        ? `${count(total)} ${total === 1 ? "application" : "applications"}`
        : `${count(total)} applications; the first ${count(listing.shown)} shown`;
      show($("effect-more"), reconciliation.pageInfo.hasNextPage);
      if (listing.shown > PAGE) announce(`${count(listing.shown)} of ${count(total)} shown.`);
    } catch (failure) {
      this.failed(failure, $("effect-list-error"));
    } finally {
      table.removeAttribute("aria-busy");
    }
  }

  application({ client, status, reason, policy }) {
    const submitted = client.submittedAt;
    const cells = policy
      ? [
        this.carrierName(policy.carrier),
        policy.carrierPolicyId,
        said(POLICY_STATUS, policy.status),
        policy.agent ? `${policy.agent.name} (${policy.agentNpn})` : `NPN ${policy.agentNpn}`,
      ]
      : ["—", "—", "—", "—"];
    return h("tr", { dataset: { client: client.id, status } },
      h("th", { scope: "row" }, `${client.firstName} ${client.lastName}`),
      h("td", {}, client.agent.name),
      h("td", {}, client.carrier || "—"),
      h("td", {}, h("time", { datetime: submitted, title: when(submitted) },
        day(submitted ? submitted.slice(0, 10) : null))),
      h("td", { class: "reason" }, reason),
      cells.map((text, i) => h("td", { dataset: { policy: POLICY_CELLS[i] } }, text)));
  }

  /** Close the list; `refocus`: back to the count that opened it (the Close button's way). */
  closeList({ refocus = false } = {}) {
    const opener = this.listing && this.listing.opener;
    this.listing = null;
    show($("effect-list"), false);
    $("effect-list-body").replaceChildren();
    if (refocus && opener && opener.isConnected) opener.focus();
  }

  // --- the export ----------------------------------------------------------------------------

  /** Request the `effectuation` export of `filter` (what, in words: `what`). */
  async export(filter, what, button) {
    const note = $("effect-note");
    note.textContent = "";
    button.disabled = true;
    try {
      await this.requestExport("effectuation", filter);
      note.replaceChildren(`Effectuation export of ${what} requested: follow it in `,
        h("a", { href: "#history" }, "Your exports"), ".");
    } catch (failure) {
      this.failed(failure);
    } finally {
      button.disabled = !this.viewer.exportsAllowed;
    }
  }
}
