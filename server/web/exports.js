// Exports: the types this viewer may request (legend and parameter form for each), and their
// history, newest first, each unfinished row followed live over `exportUpdates`.

import { $, announce, bytes, count, h, show, when } from "./dom.js";
import { LiveList, TERMINAL } from "./section.js";
import { RECONCILIATION_STATUS } from "./words.js";

const FIELDS = `id status rowsWritten rowsTotal rowCount byteSize error requestedAt finishedAt
  fileDeletedAt type { key title }`;
const TYPES = `{ exportTypes { key title scopes description
  parameters { name type required default description } columns { name description pii } } }`;
const HISTORY = `query($after: String) { exports(first: 25, after: $after) {
  edges { node { ${FIELDS} } } pageInfo { hasNextPage endCursor } } }`;
const REQUEST = `mutation($type: String!, $params: JSON) {
  requestExport(input: {type: $type, params: $params}) { ${FIELDS} } }`;
const UPDATES = `subscription($id: ID!) { exportUpdates(id: $id) { ${FIELDS} } }`;
const LINK = `query($id: ID!) { export(id: $id) { id status fileDeletedAt downloadUrl } }`;

const ENUMS = {
  Exchange: ["ON_EX", "OFF_EX"],
  "[ProductType!]": ["MAPD", "MA", "PDP", "DSNP", "CSNP", "MEDSUPP", "ACA", "DENTAL", "VISION",
    "HOSPITAL_INDEMNITY", "OTHER"],
  "[PolicyStatus!]": ["APPROVED", "ACTIVE", "ATTRITED", "DECEASED", "POLICY_DISENROLLMENT",
    "UNKNOWN"],
  "[ReconciliationStatus!]": Object.keys(RECONCILIATION_STATUS),
};

/** "includeUnsubmitted" → "Include unsubmitted". */
function human(name) {
  const words = name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export class Exports extends LiveList {
  constructor(api, viewer, { authLost }) {
    super(api, authLost, [
      [$("history-refresh"), "click", () => this.loadHistory()],
      [$("exports-more"), "click", () => this.loadHistory(this.cursor)],
    ]);
    this.viewer = viewer;
  }

  async start() {
    const off = $("exports-off");
    if (!this.viewer.exportsAllowed) {
      off.textContent =
        "Your agency administrator has turned exports off for your agency: you can see the " +
        "types below and your past exports, but not request or download them.";
    }
    show(off, !this.viewer.exportsAllowed);
    await Promise.all([this.loadTypes(), this.loadHistory()]);
  }

  // --- the types -----------------------------------------------------------------------------

  async loadTypes() {
    const box = $("types");
    box.replaceChildren(h("p", { class: "hint" }, "Loading…"));
    try {
      const { exportTypes } = await this.api.gql(TYPES);
      box.replaceChildren(...exportTypes.map((type) => this.typeCard(type)));
      if (!exportTypes.length) box.replaceChildren(h("p", { class: "hint" }, "No export types."));
    } catch (error) {
      box.replaceChildren();
      this.failed(error, box.appendChild(h("p", { class: "error", role: "alert" })));
    }
  }

  typeCard(type) {
    const id = `type-${type.key}`;
    const error = h("p", { class: "error", role: "alert", id: `${id}-error` });
    const fields = type.parameters.map((p) => this.field(type, p));
    const submit = h("button", { type: "submit", disabled: !this.viewer.exportsAllowed },
      "Request export");
    const form = h("form", { class: "params", "aria-label": `${type.title} parameters` },
      fields.length ? h("div", { class: "fields" }, fields) : h("p", { class: "hint" },
        "This export has no parameters."),
      h("div", { class: "actions" }, submit),
      error);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.request(type, form, submit, error);
    });
    return h("details", { class: "type", dataset: { type: type.key } },
      h("summary", {},
        h("span", { class: "type-title" }, type.title),
        " ",
        h("span", { class: "type-key" }, type.key)),
      h("p", { class: "description" }, type.description),
      form,
      this.legend(type));
  }

  legend(type) {
    const rows = type.columns.map((c) =>
      h("tr", {},
        h("th", { scope: "row", title: c.description }, h("code", {}, c.name)),
        h("td", {}, c.description),
        h("td", {}, c.pii ? h("span", { class: "pii" }, "PII") : "")));
    return h("details", { class: "legend" },
      h("summary", {}, `Columns (${type.columns.length})`),
      h("div", { class: "scroll legend-scroll" },
        h("table", { class: "data compact" },
          h("caption", { class: "visually-hidden" }, `Columns of the ${type.title} export`),
          h("thead", {}, h("tr", {},
            h("th", { scope: "col" }, "Column"),
            h("th", { scope: "col" }, "Meaning"),
            h("th", { scope: "col" }, h("abbr", { title: "Personal information" }, "PII")))),
          h("tbody", {}, rows))));
  }

  field(type, p) {
    const id = `param-${type.key}-${p.name}`;
    const hint = `${id}-hint`;
    const common = { id, name: p.name, "aria-describedby": hint, required: p.required };
    const label = h("label", { for: id }, human(p.name), p.required ? " (required)" : "");
    const note = h("span", { class: "hint", id: hint }, p.description);
    let control;
    if (p.type === "Boolean") {
      control = h("input", { ...common, type: "checkbox", required: false });
      control.checked = p.default === true;
      return h("div", { class: "field check", dataset: { kind: p.type } }, control, label, note);
    } else if (p.type === "Date") {
      control = h("input", { ...common, type: "date", value: p.default ?? null });
    } else if (p.type === "Int") {
      control = h("input", { ...common, type: "number", step: "1", value: p.default ?? null });
    } else if (p.type === "Exchange") {
      control = h("select", common,
        h("option", { value: "" }, "Any"),
        ENUMS.Exchange.map((v) => h("option", { value: v, selected: p.default === v }, v)));
    } else if (ENUMS[p.type]) {
      const chosen = new Set(p.default || []);
      control = h("select", { ...common, multiple: true, size: 4 },
        ENUMS[p.type].map((v) => h("option", { value: v, selected: chosen.has(v) }, v)));
    } else if (p.type.startsWith("[")) {
      control = h("input", { ...common, type: "text", value: (p.default || []).join(", "),
        placeholder: "comma-separated" });
    } else {
      control = h("input", { ...common, type: "text", value: p.default ?? null });
    }
    return h("div", { class: "field", dataset: { kind: p.type } }, label, control, note);
  }

  params(type, form) {
    const params = {};
    for (const p of type.parameters) {
      const control = form.elements.namedItem(p.name);
      if (p.type === "Boolean") {
        params[p.name] = control.checked;
      } else if (ENUMS[p.type] && control.multiple) {
        const values = [...control.selectedOptions].map((o) => o.value);
        if (values.length) params[p.name] = values;
      } else if (p.type.startsWith("[")) {
        const values = control.value.split(",").map((v) => v.trim()).filter(Boolean);
        if (values.length) params[p.name] = values;
      } else if (control.value !== "") {
        params[p.name] = p.type === "Int" ? Number.parseInt(control.value, 10) : control.value;
      }
    }
    return params;
  }

  async request(type, form, submit, error) {
    error.textContent = "";
    for (const control of form.querySelectorAll("[aria-invalid]")) {
      control.removeAttribute("aria-invalid");
    }
    submit.disabled = true;
    try {
      await this.requestExport(type.key, this.params(type, form));
    } catch (failure) {
      this.failed(failure, error);
      const control = failure.field && form.elements.namedItem(failure.field);
      if (control && control.setAttribute) {
        control.setAttribute("aria-invalid", "true");
        control.focus();
      }
    } finally {
      submit.disabled = !this.viewer.exportsAllowed;
    }
  }

  /** Ask for an export of type `key` with `params`, as a type's form does (other views ask for
   * theirs here too): it goes to the top of the history, followed live. Throws ApiError. */
  async requestExport(key, params) {
    const { requestExport } = await this.api.gql(REQUEST, { type: key, params });
    this.add(requestExport, { prepend: true });
    announce(`${requestExport.type.title} export requested. Its status is shown in Your exports.`);
    return requestExport;
  }

  // --- the history ---------------------------------------------------------------------------

  async loadHistory(after = null) {
    const error = $("history-error") || $("history").appendChild(
      h("p", { class: "error", role: "alert", id: "history-error" }));
    error.textContent = "";
    if (!after) {
      this.unfollow();
      $("exports-body").replaceChildren();
    }
    try {
      const { exports } = await this.api.gql(HISTORY, { after });
      for (const edge of exports.edges) this.add(edge.node, { prepend: false });
      this.cursor = exports.pageInfo.endCursor;
      show($("exports-more"), exports.pageInfo.hasNextPage);
    } catch (failure) {
      this.failed(failure, error);
    }
    show($("exports-empty"), this.rows.size === 0);
  }

  add(exp, { prepend }) {
    if (this.rows.has(exp.id)) {
      this.update(exp);
      return;
    }
    const label = `${exp.type.title} export requested ${when(exp.requestedAt)}`;
    const status = h("span", { class: "status", "aria-live": "polite" });
    const progress = h("progress", { "aria-label": `Progress of the ${label}` });
    const progressText = h("span", { class: "progress-text" });
    const rowsCell = h("td", { class: "num" });
    const actions = h("td", { class: "actions" });
    const tr = h("tr", { dataset: { exportId: exp.id } },
      h("td", {}, h("time", { datetime: exp.requestedAt }, when(exp.requestedAt))),
      h("td", {}, exp.type.title),
      h("td", {}, status),
      h("td", { class: "progress" }, progress, progressText),
      rowsCell,
      actions);
    const row = { tr, status, progress, progressText, rowsCell, actions, label, stop: null };
    this.rows.set(exp.id, row);
    const body = $("exports-body");
    if (prepend) body.prepend(tr);
    else body.append(tr);
    show($("exports-empty"), false);
    this.update(exp);
    if (!TERMINAL.has(exp.status)) this.follow(exp.id);
  }

  follow(id) {
    const row = this.rows.get(id);
    row.stop = this.api.subscribe(UPDATES, { id }, {
      onData: ({ exportUpdates }) => this.update(exportUpdates),
      onError: (error) => {
        row.status.title = `Live updates stopped: ${error.message}`;
      },
      onComplete: () => {
        row.stop = null;
      },
    });
  }

  update(exp) {
    const row = this.rows.get(exp.id);
    if (!row) return;
    const before = row.status.textContent;
    row.status.textContent = exp.status;
    row.status.className = `status status-${exp.status.toLowerCase()}`;
    row.tr.dataset.status = exp.status;

    const { progress, progressText } = row;
    progress.hidden = exp.status === "FAILED";
    if (exp.status === "SUCCEEDED") {
      progress.max = 1;
      progress.value = 1;
      progressText.textContent = "done";
    } else if (exp.rowsTotal) {
      progress.max = exp.rowsTotal;
      progress.value = Math.min(exp.rowsWritten, exp.rowsTotal);
      progressText.textContent = `${Math.floor((100 * progress.value) / exp.rowsTotal)}%`;
    } else {
      progress.removeAttribute("value"); // indeterminate until the total is known
      progressText.textContent = exp.status === "QUEUED" ? "waiting" : "";
    }

    if (exp.status === "SUCCEEDED") {
      row.rowsCell.textContent = count(exp.rowCount);
      row.rowsCell.title = bytes(exp.byteSize);
    } else if (exp.rowsTotal) {
      row.rowsCell.textContent = `${count(exp.rowsWritten)} / ${count(exp.rowsTotal)}`;
    } else {
      row.rowsCell.textContent = exp.rowsWritten ? count(exp.rowsWritten) : "—";
    }

    if (exp.status === "SUCCEEDED" && !exp.fileDeletedAt) {
      if (!row.actions.querySelector("button")) {
        const button = h("button", { type: "button", "aria-label": `Download the ${row.label}` },
          "Download");
        button.addEventListener("click", () => this.download(exp.id, button));
        row.actions.replaceChildren(button);
      }
    } else if (exp.status === "SUCCEEDED") {
      row.actions.replaceChildren(h("span", { class: "hint" }, "File deleted after retention"));
    } else if (exp.status === "FAILED") {
      row.actions.replaceChildren(h("span", { class: "error" }, exp.error || "Failed"));
    } else {
      row.actions.replaceChildren();
    }
    if (before && before !== exp.status && TERMINAL.has(exp.status)) {
      announce(`${row.label}: ${exp.status.toLowerCase()}.`);
    }
  }

  async download(id, button) {
    button.disabled = true;
    const cell = button.parentElement;
    cell.querySelector(".error")?.remove();
    try {
      const { export: exp } = await this.api.gql(LINK, { id });
      if (!exp || !exp.downloadUrl) {
        throw new Error(exp && exp.fileDeletedAt ? "The file is no longer kept." :
          !this.viewer.exportsAllowed ? "Exports are switched off for your agency's agents: " +
            "ask your agency administrator to allow them." :
          "This export has no file to download.");
      }
      // A fresh signed link; the server answers with an attachment, so the page stays put.
      const link = h("a", { href: exp.downloadUrl, download: "", hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      announce("Download started.");
    } catch (failure) {
      if (failure.status === 401) this.authLost(failure.message);
      else cell.append(h("span", { class: "error", role: "alert" }, failure.message));
    } finally {
      button.disabled = false;
    }
  }
}
