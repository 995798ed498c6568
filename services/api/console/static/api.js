// The API of the same origin: every call with the token, every answer as { status, body }.

import { t } from "./i18n.js";
import { signOut } from "./session.js";
import { state } from "./state.js";

/** The fetch() options of a call with the token: `accept` answers, a JSON `body` when given. */
export function request(method, body, accept, extra = {}) {
  const headers = { ...extra, Authorization: `Bearer ${state.token}`, Accept: accept };
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  return init;
}

export async function api(method, path, body, { signingIn = false, headers: extra = {} } = {}) {
  let response;
  try {
    response = await fetch(path, request(method, body, "application/json", extra));
  } catch (err) {
    return { status: 0, body: { error: { code: "network", message: String(err.message || err) } } };
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (response.status === 401 && !signingIn && state.token) signOut(t("error.unauthorized"));
  return { status: response.status, body: data };
}

export function errorMessage(res) {
  const error = res.body && res.body.error;
  if (!error) return `HTTP ${res.status}`;
  let message = error.message || error.code;
  if (Array.isArray(error.fields) && error.fields.length) {
    message += ": " + error.fields.map((f) => `${f.field} ${f.problem}`).join("; ");
  }
  return message;
}

export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const v of [].concat(value)) if (v !== null && v !== undefined) search.append(key, v);
  }
  return search.toString();
}
