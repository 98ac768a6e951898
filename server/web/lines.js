// The lines under an agency (a summary grouped by DOWNLINE, `downlineOf` the agency walked to):
// how a line is named, and the walk down sub-agency by sub-agency with a breadcrumb back. Each view
// that groups by DOWNLINE keeps a walk of its own.

import { announce, h } from "./dom.js";

/** A line in words: the sub-agency's or agent's name; neither, the policies no agent holds. */
export function lineLabel(line) {
  if (line && line.agency) return line.agency.name;
  if (line && line.agent) return line.agent.name;
  return "No matching agent";
}

/** The filter fields that select a line's rows (none for the unmatched line). */
export function lineFilter(line) {
  if (line && line.agency) return { agencyIds: [line.agency.id] };
  if (line && line.agent) return { agentIds: [line.agent.id] };
  return {};
}

export class LineWalk {
  /** `crumbs`: the <ol> of the breadcrumb; `show()` loads the lines under `this.at`. */
  constructor(viewer, crumbs, show) {
    // The agencies walked down from the viewer's own (id null: the viewer's default, its own).
    const home = viewer.agency ? viewer.agency.name : viewer.agent ? viewer.agent.name : "You";
    this.path = [{ id: null, name: home }];
    this.crumbs = crumbs;
    this.show = show;
  }

  /** The agency whose lines are shown: {id, name}. */
  get at() {
    return this.path.at(-1);
  }

  /** Into a sub-agency's own lines. */
  open(agency) {
    this.path = [...this.path, agency];
    this.reload();
  }

  /** Back to the agency at `depth` on the path. */
  back(depth) {
    this.path = this.path.slice(0, depth + 1);
    this.reload();
  }

  reload() {
    this.show().then(() => announce(`Showing the lines under ${this.at.name}.`));
  }

  breadcrumb() {
    const last = this.path.length - 1;
    const items = this.path.map((agency, i) =>
      h("li", {},
        i === last
          ? h("span", { "aria-current": "page" }, agency.name)
          : h("button", { type: "button", class: "link", onclick: () => this.back(i) },
            agency.name)));
    this.crumbs.replaceChildren(...items);
  }

  /** A sub-agency is a button into its own lines; an agent is its name; neither, unmatched. */
  name(line) {
    if (line && line.agency) {
      const agency = { id: line.agency.id, name: line.agency.name };
      return h("button", {
        type: "button",
        class: "link",
        title: `Show the lines under ${agency.name}`,
        onclick: () => this.open(agency),
      }, agency.name, h("span", { class: "kind" }, " · sub-agency"));
    }
    if (line && line.agent) return [line.agent.name, h("span", { class: "kind" }, " · agent")];
    return h("span", { class: "unmatched" }, lineLabel(line));
  }
}
