// Carrier reports: the upload form (GraphQL multipart) and the reports list, each unfinished
// report followed live over `carrierReportUpdates`.

import { $, announce, count, h, show, when } from "./dom.js";
import { LiveList, TERMINAL } from "./section.js";

const FIELDS = `id carrier filename status rowsRead rowsInserted rowsUpdated rowsUnchanged
  rowsRejected unmatchedNpns error uploadedAt finishedAt errors(first: 50) { line message }`;
const LIST = `query($after: String) { carrierReports(first: 25, after: $after) {
  edges { node { ${FIELDS} } } pageInfo { hasNextPage endCursor } } }`;
const CARRIERS = "{ carriers { key name } }";
const UPLOAD = `mutation($file: Upload!, $carrier: String, $asOf: Date) {
  uploadCarrierReport(file: $file, carrier: $carrier, asOf: $asOf) { ${FIELDS} } }`;
const UPDATES = `subscription($id: ID!) { carrierReportUpdates(id: $id) { ${FIELDS} } }`;
const COUNTS = ["rowsRead", "rowsInserted", "rowsUpdated", "rowsUnchanged", "rowsRejected"];

export class Reports extends LiveList {
  constructor(api, { authLost, onLoaded }) {
    super(api, authLost, [
      [$("upload-form"), "submit", (event) => {
        event.preventDefault();
        this.upload();
      }],
      [$("reports-refresh"), "click", () => this.load()],
      [$("reports-more"), "click", () => this.load(this.cursor)],
    ]);
    this.onLoaded = onLoaded; // a report reached SUCCEEDED: production changed
  }

  async start() {
    await Promise.all([this.loadCarriers(), this.load()]);
  }

  async loadCarriers() {
    try {
      const { carriers } = await this.api.gql(CARRIERS);
      const select = $("upload-carrier");
      select.replaceChildren(
        h("option", { value: "" }, "Detect from the file"),
        ...carriers.map((c) => h("option", { value: c.key }, c.name)),
      );
    } catch (error) {
      this.failed(error, $("upload-error"));
    }
  }

  async load(after = null) {
    const error = $("upload-error");
    if (!after) {
      this.unfollow();
      $("reports-body").replaceChildren();
    }
    try {
      const { carrierReports } = await this.api.gql(LIST, { after });
      for (const edge of carrierReports.edges) this.add(edge.node, { prepend: false });
      this.cursor = carrierReports.pageInfo.endCursor;
      show($("reports-more"), carrierReports.pageInfo.hasNextPage);
    } catch (failure) {
      this.failed(failure, error);
    }
    show($("reports-empty"), this.rows.size === 0);
  }

  async upload() {
    const error = $("upload-error");
    error.textContent = "";
    const input = $("upload-file");
    const file = input.files && input.files[0];
    if (!file) {
      error.textContent = "Choose a report file first.";
      input.focus();
      return;
    }
    const button = $("upload-form").querySelector("button[type=submit]");
    button.disabled = true;
    button.textContent = "Uploading…";
    try {
      const { uploadCarrierReport } = await this.api.upload(
        UPLOAD,
        { carrier: $("upload-carrier").value || null, asOf: $("upload-asof").value || null },
        "file",
        file,
      );
      this.add(uploadCarrierReport, { prepend: true });
      input.value = "";
      announce(`${file.name} uploaded; it is being read.`);
    } catch (failure) {
      this.failed(failure, error);
      const field = { file: "upload-file", carrier: "upload-carrier", asOf: "upload-asof" }[
        failure.field
      ];
      if (field) $(field).focus();
    } finally {
      button.disabled = false;
      button.textContent = "Upload";
    }
  }

  add(report, { prepend }) {
    if (this.rows.has(report.id)) {
      this.update(report);
      return;
    }
    const status = h("span", { class: "status", "aria-live": "polite" });
    const cells = Object.fromEntries(COUNTS.map((k) => [k, h("td", { class: "num" })]));
    const carrier = h("td", {});
    const details = h("td", { class: "details" });
    const tr = h("tr", { dataset: { reportId: report.id } },
      h("td", {}, h("time", { datetime: report.uploadedAt }, when(report.uploadedAt))),
      h("td", { class: "file" }, report.filename),
      carrier,
      h("td", {}, status),
      COUNTS.map((k) => cells[k]),
      details);
    for (const [k, td] of Object.entries(cells)) td.dataset.count = k;
    const row = { tr, status, cells, carrier, details, report, stop: null };
    this.rows.set(report.id, row);
    const body = $("reports-body");
    if (prepend) body.prepend(tr);
    else body.append(tr);
    show($("reports-empty"), false);
    this.update(report);
    if (!TERMINAL.has(report.status)) this.follow(report.id);
  }

  follow(id) {
    const row = this.rows.get(id);
    row.stop = this.api.subscribe(UPDATES, { id }, {
      onData: ({ carrierReportUpdates }) => {
        this.update(carrierReportUpdates);
        if (TERMINAL.has(carrierReportUpdates.status) && row.stop) {
          row.stop(); // the report is done: nothing more will change
          row.stop = null;
        }
      },
      onError: (error) => {
        row.status.title = `Live updates stopped: ${error.message}`;
      },
      onComplete: () => {
        row.stop = null;
      },
    });
  }

  update(report) {
    const row = this.rows.get(report.id);
    if (!row) return;
    const before = row.status.textContent;
    row.status.textContent = report.status;
    row.status.className = `status status-${report.status.toLowerCase()}`;
    row.tr.dataset.status = report.status;
    row.carrier.textContent = report.carrier || "—";
    const done = TERMINAL.has(report.status);
    for (const k of COUNTS) {
      row.cells[k].textContent = done || report[k] ? count(report[k]) : "—";
    }
    row.details.replaceChildren(...this.details(report));
    if (before && before !== report.status && done) {
      const summary = report.status === "SUCCEEDED"
        ? `${count(report.rowsRead)} rows read, ${count(report.rowsRejected)} rejected`
        : report.error || "failed";
      announce(`${report.filename}: ${report.status.toLowerCase()}, ${summary}.`);
      if (report.status === "SUCCEEDED") this.onLoaded();
    }
  }

  details(report) {
    const parts = [];
    if (report.error) parts.push(h("p", { class: "error" }, report.error));
    if (report.unmatchedNpns.length) {
      parts.push(h("p", {},
        `NPNs matching no agent (${report.unmatchedNpns.length}): `,
        report.unmatchedNpns.join(", ")));
    }
    if (report.errors.length) {
      parts.push(h("details", {},
        h("summary", {}, `Rejected rows (${report.rowsRejected})`),
        h("ul", { class: "row-errors" }, report.errors.map((e) => h("li", {}, e.message)))));
    }
    if (!parts.length && report.status === "SUCCEEDED") {
      parts.push(h("span", { class: "hint" }, `Finished ${when(report.finishedAt)}`));
    }
    return parts;
  }
}
