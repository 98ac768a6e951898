// The export centre: sign in with a pasted bearer token (kept in sessionStorage, or handed over
// as #token=… in the address, which is then removed from it), then exports, production and
// carrier reports for that user, its production by line and carrier freshness, and its
// effectuation.

import { Api } from "./api.js";
import { $, announce, show } from "./dom.js";
import { Effectuation } from "./effectuation.js";
import { Exports } from "./exports.js";
import { Insight } from "./insight.js";
import { Production } from "./production.js";
import { Reports } from "./reports.js";

const KEY = "downline.token";
const VIEWER = `{ viewer { email role exportsAllowed agent { name npn } agency { name } } }`;
const ROLES = { AGENT: "Agent", AGENCY_ADMIN: "Agency admin" };

let session = null; // {api, parts: [Exports, Production, Reports, Insight, Effectuation]}

function tokenFromAddress() {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!match) return null;
  history.replaceState(null, "", location.pathname + location.search);
  return decodeURIComponent(match[1]);
}

function end(message = "") {
  if (session) {
    for (const part of session.parts) part.stop();
    session.api.close();
    session = null;
  }
  sessionStorage.removeItem(KEY);
  delete document.body.dataset.ready;
  const filled = [
    "types", "exports-body", "summary-body", "chart", "reports-body", "lines-path", "lines-body",
    "freshness-body", "missing-list", "changed-list", "effect-path", "effect-lines-body",
    "effect-carriers-body", "effect-list-body", "effect-list-title", "effect-list-total",
    "effect-note",
  ];
  for (const id of filled) {
    $(id).replaceChildren(); // nothing of the last user stays in the page
  }
  for (const id of ["lines-table", "effect-lines-table", "effect-carriers-table"]) {
    $(id).querySelector("tfoot")?.remove();
  }
  $("effect-rate").textContent = "—";
  $("effect-total").textContent = "0";
  show($("effect-list"), false);
  show($("missing"), false);
  show($("changed"), false);
  show($("centre"), false);
  show($("nav"), false);
  show($("who"), false);
  show($("sign-in"), true);
  $("token").value = "";
  $("token-error").textContent = message;
  $("token").focus();
}

async function begin(token) {
  const error = $("token-error");
  error.textContent = "";
  const api = new Api(token.trim().replace(/^Bearer\s+/i, ""));
  let viewer;
  try {
    ({ viewer } = await api.gql(VIEWER));
  } catch (failure) {
    end(
      failure.status === 401
        ? `That token was not accepted: ${failure.message}`
        : `The server could not be reached: ${failure.message}`,
    );
    return;
  }
  sessionStorage.setItem(KEY, api.token);
  const authLost = (why) => end(`Please sign in again: ${why}`);
  const exports = new Exports(api, viewer, { authLost });
  const production = new Production(api, { authLost });
  const insight = new Insight(api, viewer, { authLost });
  const effectuation = new Effectuation(api, viewer, {
    authLost,
    requestExport: (key, params) => exports.requestExport(key, params),
  });
  // A finished upload changes the production, the carriers' freshness and effectuation alike.
  const refresh = () => Promise.all([production.load(), insight.load(), effectuation.load()]);
  const parts = [
    exports,
    production,
    new Reports(api, { authLost, onLoaded: refresh }),
    insight,
    effectuation,
  ];
  session = { api, parts };

  const who = [viewer.email, ROLES[viewer.role] || viewer.role];
  if (viewer.agent) who.push(viewer.agent.name);
  if (viewer.agency) who.push(viewer.agency.name);
  $("who-text").textContent = who.join(" · ");
  show($("sign-in"), false);
  show($("centre"), true);
  show($("nav"), true);
  show($("who"), true);
  announce(`Signed in as ${viewer.email}.`);
  await Promise.all([
    exports.start(), production.load(), parts[2].start(), insight.load(), effectuation.load(),
  ]);
  document.body.dataset.ready = "true";
}

$("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const token = $("token").value;
  if (token.trim()) begin(token);
});
$("sign-out").addEventListener("click", () => end("Signed out."));

window.addEventListener("hashchange", () => {
  const given = tokenFromAddress(); // a link with #token=… opened in this tab
  if (given) {
    end();
    begin(given);
  }
});

const remembered = tokenFromAddress() || sessionStorage.getItem(KEY);
if (remembered) begin(remembered);
else $("token").focus();
