// Production: `productionSummary` by agent × effective month for the viewer's scope, as a table,
// and the month totals (submitted, net, disenrolled) as a bar chart drawn in SVG.

import { $, count, h, month, s, show } from "./dom.js";

const SUMMARY = `query($filter: ProductionFilter) {
  productionSummary(groupBy: [AGENT, MONTH], filter: $filter) {
    agent { id name npn } month submitted net disenrolled } }`;

const SERIES = [
  { key: "submitted", label: "Submitted" },
  { key: "net", label: "Net" },
  { key: "disenrolled", label: "Disenrolled" },
];

export class Production {
  constructor(api, { authLost }) {
    this.api = api;
    this.authLost = authLost;
    this.form = $("production-form");
    this.onSubmit = (event) => {
      event.preventDefault();
      this.load();
    };
    this.form.addEventListener("submit", this.onSubmit);
  }

  stop() {
    this.form.removeEventListener("submit", this.onSubmit);
  }

  filter() {
    const filter = {};
    const from = $("prod-from").value;
    const to = $("prod-to").value;
    if (from) filter.effectiveFrom = from;
    if (to) filter.effectiveTo = to;
    return Object.keys(filter).length ? filter : null;
  }

  async load() {
    const error = $("production-error");
    error.textContent = "";
    $("summary-table").setAttribute("aria-busy", "true");
    try {
      const { productionSummary } = await this.api.gql(SUMMARY, { filter: this.filter() });
      this.table(productionSummary);
      this.chart(productionSummary);
    } catch (failure) {
      if (failure.status === 401) this.authLost(failure.message);
      else error.textContent = failure.message;
    } finally {
      $("summary-table").removeAttribute("aria-busy");
    }
  }

  table(buckets) {
    const body = $("summary-body");
    const totals = { submitted: 0, net: 0, disenrolled: 0 };
    let previous = null;
    const rows = buckets.map((b) => {
      for (const { key } of SERIES) totals[key] += b[key];
      const agent = b.agent ? `${b.agent.name} (${b.agent.npn})` : "No matching agent";
      const first = agent !== previous;
      previous = agent;
      return h("tr", { class: first ? "group-start" : null },
        h("th", { scope: "row", class: first ? null : "repeat" }, agent),
        h("td", {}, month(b.month)),
        h("td", { class: "num" }, count(b.submitted)),
        h("td", { class: "num" }, count(b.net)),
        h("td", { class: "num" }, count(b.disenrolled)));
    });
    body.replaceChildren(...rows);
    const table = $("summary-table");
    table.querySelector("tfoot")?.remove();
    if (buckets.length) {
      table.append(h("tfoot", {}, h("tr", {},
        h("th", { scope: "row", colspan: "2" }, "All"),
        h("td", { class: "num" }, count(totals.submitted)),
        h("td", { class: "num" }, count(totals.net)),
        h("td", { class: "num" }, count(totals.disenrolled)))));
    }
    show($("summary-empty"), buckets.length === 0);
  }

  chart(buckets) {
    const byMonth = new Map();
    for (const b of buckets) {
      const key = b.month || "";
      const m = byMonth.get(key) || { month: b.month, submitted: 0, net: 0, disenrolled: 0 };
      for (const { key: k } of SERIES) m[k] += b[k];
      byMonth.set(key, m);
    }
    const months = [...byMonth.values()].sort((a, b) =>
      a.month === b.month ? 0 : !a.month ? 1 : !b.month ? -1 : a.month < b.month ? -1 : 1);
    const box = $("chart");
    if (!months.length) {
      box.replaceChildren(h("p", { class: "hint" }, "Nothing to chart yet."));
      return;
    }

    const width = 640;
    const height = 240;
    const pad = { left: 40, right: 8, top: 12, bottom: 34 };
    const plotW = width - pad.left - pad.right;
    const plotH = height - pad.top - pad.bottom;
    const top = niceMax(Math.max(1, ...months.flatMap((m) => SERIES.map((x) => m[x.key]))));
    const y = (v) => pad.top + plotH - (v / top) * plotH;
    const slot = plotW / months.length;
    const barW = Math.max(2, Math.min(22, (slot * 0.8) / SERIES.length));

    const summary = months.map((m) =>
      `${month(m.month)}: ${SERIES.map((x) => `${x.label.toLowerCase()} ${m[x.key]}`).join(", ")}`);
    const svg = s("svg", {
      viewBox: `0 0 ${width} ${height}`,
      role: "img",
      "aria-labelledby": "chart-title chart-desc",
      class: "chart",
    },
    s("title", { id: "chart-title" }, "Policies by effective month"),
    s("desc", { id: "chart-desc" }, summary.join("; ")));

    for (let i = 0; i <= 4; i++) {
      const v = (top / 4) * i;
      svg.append(
        s("line", { x1: pad.left, x2: width - pad.right, y1: y(v), y2: y(v), class: "grid" }),
        s("text", { x: pad.left - 6, y: y(v) + 4, "text-anchor": "end", class: "axis" },
          Number.isInteger(v) ? String(v) : v.toFixed(1)));
    }
    const every = Math.ceil(months.length / 12); // no more than 12 month labels
    months.forEach((m, i) => {
      const x0 = pad.left + i * slot + (slot - barW * SERIES.length) / 2;
      SERIES.forEach((series, j) => {
        const v = m[series.key];
        svg.append(s("rect", {
          x: x0 + j * barW,
          y: y(v),
          width: barW - 1,
          height: Math.max(0, pad.top + plotH - y(v)),
          class: `bar bar-${series.key}`,
        }, s("title", {}, `${month(m.month)} · ${series.label}: ${v}`)));
      });
      if (i % every === 0) {
        svg.append(s("text", {
          x: pad.left + i * slot + slot / 2,
          y: height - pad.bottom + 16,
          "text-anchor": "middle",
          class: "axis",
        }, month(m.month)));
      }
    });
    const legend = h("ul", { class: "legend-keys", "aria-hidden": "true" },
      SERIES.map((x) => h("li", {}, h("span", { class: `swatch bar-${x.key}` }), x.label)));
    box.replaceChildren(svg, legend);
  }
}

/** A round axis top, four whole-number (or round) ticks high, at or above `v`. */
function niceMax(v) {
  const raw = v / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const steps = power >= 10 ? [1, 2, 2.5, 5, 10] : [1, 2, 3, 5, 10];
  const step = steps.map((m) => m * power).find((x) => x >= raw);
  return Math.max(1, step) * 4;
}
