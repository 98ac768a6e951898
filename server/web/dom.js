// Building the DOM without ever parsing data as HTML: every string becomes a text node.

const SVG = "http://www.w3.org/2000/svg";

function build(element, attrs, children) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** h("td", {class: "num"}, "12") — an HTML element; attrs set as attributes, `on*` as listeners. */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** The same for SVG elements. */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG, tag), attrs, children);
}

export const $ = (id) => document.getElementById(id);

export function show(element, visible) {
  element.hidden = !visible;
}

/** "Mar 2, 2026, 10:00" in the reader's locale and time zone. */
export function when(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** "2026-03" → "Mar 2026" (months come as the first day of the month). */
export function month(isoDate) {
  if (!isoDate) return "No effective date";
  const [year, m] = isoDate.split("-").map(Number);
  return new Date(Date.UTC(year, m - 1, 1)).toLocaleString(undefined, {
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  });
}

/** "2026-11-24" → "Nov 24, 2026", read as a calendar day (no time zone shift). */
export function day(isoDate) {
  if (!isoDate) return "—";
  const [year, m, d] = isoDate.split("-").map(Number);
  return new Date(Date.UTC(year, m - 1, d)).toLocaleDateString(undefined, {
    dateStyle: "medium",
    timeZone: "UTC",
  });
}

/** 0.4237 → "42.4%" (a share of one); null → "—". */
export function percent(share) {
  return share === null || share === undefined ? "—" : `${(share * 100).toFixed(1)}%`;
}

export function count(n) {
  return n === null || n === undefined ? "—" : Number(n).toLocaleString();
}

export function bytes(n) {
  if (n === null || n === undefined) return "";
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** Say something to screen-reader users without moving focus. */
export function announce(text) {
  const region = $("announcer");
  region.textContent = "";
  // A fresh text node after a tick is read out even when the words repeat.
  setTimeout(() => {
    region.textContent = text;
  }, 50);
}
