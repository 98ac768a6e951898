// The downline API as this page uses it: queries and mutations over POST /graphql with the bearer
// token, carrier files by the GraphQL multipart request spec, and subscriptions over WebSocket
// /graphql (graphql-transport-ws, through the vendored graphql-ws client).

import { createClient } from "./vendor/graphql-ws.mjs";

export class ApiError extends Error {
  constructor(message, { code = null, field = null, status = null } = {}) {
    super(message);
    this.code = code;
    this.field = field;
    this.status = status;
  }
}

function firstError(payload, status) {
  const error = (payload && payload.errors && payload.errors[0]) || null;
  if (!error) return null;
  const extensions = error.extensions || {};
  return new ApiError(error.message || "The request failed.", {
    code: extensions.code || null,
    field: extensions.field || null,
    status,
  });
}

async function answer(response) {
  let payload = null;
  try {
    payload = await response.json();
  } catch {
    throw new ApiError(`The server answered ${response.status} ${response.statusText}.`, {
      status: response.status,
    });
  }
  const error = firstError(payload, response.status);
  if (error) throw error;
  if (!response.ok) {
    throw new ApiError(`The server answered ${response.status}.`, { status: response.status });
  }
  return payload.data;
}

export class Api {
  constructor(token) {
    this.token = token;
    this.ws = null;
  }

  get authorization() {
    return `Bearer ${this.token}`;
  }

  /** The `data` of a query or mutation; throws ApiError with the first error's code and field. */
  async gql(query, variables = {}) {
    const response = await fetch("/graphql", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: this.authorization },
      body: JSON.stringify({ query, variables }),
    });
    return answer(response);
  }

  /** A mutation with one Upload variable, sent as multipart/form-data (operations, map, file). */
  async upload(query, variables, fileVariable, file) {
    const form = new FormData();
    form.append("operations", JSON.stringify({ query, variables: { ...variables, [fileVariable]: null } }));
    form.append("map", JSON.stringify({ 0: [`variables.${fileVariable}`] }));
    form.append("0", file, file.name);
    const response = await fetch("/graphql", {
      method: "POST",
      headers: { Authorization: this.authorization },
      body: form,
    });
    return answer(response);
  }

  /** Follow a subscription; `onData(data)` for each result. Returns a function that stops it. */
  subscribe(query, variables, { onData, onError = () => {}, onComplete = () => {} }) {
    if (!this.ws) {
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      this.ws = createClient({
        url: `${scheme}://${location.host}/graphql`,
        connectionParams: () => ({ authorization: this.authorization }),
        lazy: true,
        lazyCloseTimeout: 2000,
        retryAttempts: 8,
        shouldRetry: () => true,
      });
    }
    return this.ws.subscribe(
      { query, variables },
      {
        next: (result) => {
          const error = firstError(result, null);
          if (error) onError(error);
          else onData(result.data);
        },
        error: (error) => onError(error instanceof Error ? error : new ApiError(describe(error))),
        complete: onComplete,
      },
    );
  }

  close() {
    if (this.ws) this.ws.dispose();
    this.ws = null;
  }
}

function describe(error) {
  if (Array.isArray(error) && error[0] && error[0].message) return error[0].message;
  if (error && typeof error.reason === "string" && error.reason) return error.reason;
  if (error && typeof error.code === "number") return `the live connection closed (${error.code})`;
  return "the live connection failed";
}
