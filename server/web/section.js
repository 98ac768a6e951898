// What the live lists (exports, carrier reports) share: their DOM listeners, the rows they follow
// over a subscription, and how a failure is shown.

export const TERMINAL = new Set(["SUCCEEDED", "FAILED"]);

export class LiveList {
  constructor(api, authLost, listeners) {
    this.api = api;
    this.authLost = authLost;
    this.rows = new Map(); // id → the row's cells and its subscription's `stop`
    this.cursor = null;
    this.listeners = listeners;
    for (const [element, name, listener] of listeners) {
      element.addEventListener(name, listener);
    }
  }

  stop() {
    for (const [element, name, listener] of this.listeners) {
      element.removeEventListener(name, listener);
    }
    this.unfollow();
  }

  unfollow() {
    for (const row of this.rows.values()) row.stop?.();
    this.rows.clear();
  }

  failed(error, where) {
    if (error.status === 401) this.authLost(error.message);
    else where.textContent = error.message;
  }
}
