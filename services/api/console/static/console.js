// The agent console: sign in with a token, work a queue, answer cases, watch it all live.
//
// Data comes from the API of the same origin (Authorization: Bearer <token>); live changes come
// from one EventSource on /v1/queues/*/stream. The read model (Elasticsearch) trails the live
// events by a moment, so every case the console knows is kept at its highest case_version and an
// older snapshot from a page or a reload never replaces a newer one from the stream.

import {
  t, tv, setLang, lang, defaultLang, translatePage, duration, formatTime, formatNumber,
} from "./i18n.js";

// ---------------------------------------------------------------------------------------------
// State

const STORE = { token: "tweetcare.token", lang: "tweetcare.lang", signature: "tweetcare.signature",
  filters: "tweetcare.filters", actor: "tweetcare.actor" };
const CLOSED = new Set(["resolved", "closed_no_reply", "spam"]);
const PRIORITY_RANK = { P1: 1, P2: 2, P3: 3, P4: 4 };
const PAGE_SIZE = 100;
const MAX_KNOWN = 5000;
const MAX_TWEET_WEIGHT = 280;

const state = {
  token: null,
  role: null, // "agent" | "supervisor" (supervisor: may read statistics and transfer)
  actor: { id: null, name: null },
  view: "queues",
  queues: [],
  queue: null,
  rows: [], // case views of the selected queue, in working order
  nextCursor: null,
  openCaseId: null,
  detail: null, // CaseDetail of the open case
  known: new Map(), // case_id -> newest case view seen
  canned: new Map(), // lang -> canned replies
  serverOffsetMs: 0, // server clock minus this browser's clock
  source: null,
  timers: {},
};

const $ = (selector) => document.querySelector(selector);

// ---------------------------------------------------------------------------------------------
// DOM helpers: elements are built, never parsed from strings, so no text can become markup.

function h(tag, attrs = {}, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

function s(tag, attrs = {}, ...children) {
  return fill(document.createElementNS("http://www.w3.org/2000/svg", tag), attrs, children);
}

function fill(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.setAttribute("class", value);
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Replace the children of `el`, skipping the empty ones (replaceChildren would print "null"). */
function put(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

function debounce(name, ms, fn) {
  clearTimeout(state.timers[name]);
  state.timers[name] = setTimeout(fn, ms);
}

function announce(text) {
  const log = $("#announcer");
  log.append(h("p", { text }));
  while (log.childElementCount > 6) log.firstElementChild.remove();
}

function serverNow() {
  return Date.now() + state.serverOffsetMs;
}

// ---------------------------------------------------------------------------------------------
// The API

async function api(method, path, body, { signingIn = false } = {}) {
  const headers = { Authorization: `Bearer ${state.token}`, Accept: "application/json" };
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
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

function errorMessage(res) {
  const error = res.body && res.body.error;
  if (!error) return `HTTP ${res.status}`;
  let message = error.message || error.code;
  if (Array.isArray(error.fields) && error.fields.length) {
    message += ": " + error.fields.map((f) => `${f.field} ${f.problem}`).join("; ");
  }
  return message;
}

function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const v of [].concat(value)) if (v !== null && v !== undefined) search.append(key, v);
  }
  return search.toString();
}

// ---------------------------------------------------------------------------------------------
// Cases as the queues show them (the read model's CaseView, derived the same way from a case)

function viewOfCase(c, version) {
  const open = !CLOSED.has(c.state);
  const due = c.clocks.filter((k) => k.status === "running" && k.due_at).map((k) => k.due_at);
  due.sort((a, b) => Date.parse(a) - Date.parse(b));
  const breached = open && c.clocks.some((k) => k.status === "breached" && !k.met_at);
  const warned = open && !breached
    && c.clocks.some((k) => k.status === "running" && k.warnings_fired.length > 0);
  return {
    case: c, case_version: version, open, next_due_at: due[0] || null, breached, warned,
    first_response_seconds: c.first_response_at
      ? (Date.parse(c.first_response_at) - Date.parse(c.opened_at)) / 1000 : null,
  };
}

/** Keep `view` unless a newer version is known; answers the view to use. */
function remember(view) {
  const id = view.case.case_id;
  const known = state.known.get(id);
  if (known && known.case_version > view.case_version) return known;
  state.known.delete(id);
  state.known.set(id, view);
  if (state.known.size > MAX_KNOWN) state.known.delete(state.known.keys().next().value);
  return view;
}

function workingOrder(a, b) {
  if (a.breached !== b.breached) return a.breached ? -1 : 1;
  const dueA = a.next_due_at ? Date.parse(a.next_due_at) : Infinity;
  const dueB = b.next_due_at ? Date.parse(b.next_due_at) : Infinity;
  if (dueA !== dueB) return dueA < dueB ? -1 : 1;
  const prio = PRIORITY_RANK[a.case.priority] - PRIORITY_RANK[b.case.priority];
  if (prio) return prio;
  const opened = Date.parse(a.case.opened_at) - Date.parse(b.case.opened_at);
  if (opened) return opened;
  return a.case.case_id < b.case.case_id ? -1 : a.case.case_id > b.case.case_id ? 1 : 0;
}

function filters() {
  return { show: $("#filter-show").value, sla: $("#filter-sla").value };
}

function filterParams() {
  const { show, sla } = filters();
  const params = { limit: PAGE_SIZE };
  if (show === "needs_response") params.state = ["new", "assigned"];
  if (show === "waiting_on_customer") params.state = "waiting_on_customer";
  if (show === "unassigned") params.unassigned = "true";
  if (show === "mine") params.assignee = state.actor.id || "-";
  if (sla !== "any") params.breached = sla === "breached" ? "true" : "false";
  return params;
}

/** Whether `view` belongs in the list as filtered now (the API's filters, applied here). */
function belongs(view) {
  const c = view.case;
  if (c.queue !== state.queue || !view.open) return false;
  const { show, sla } = filters();
  if (show === "needs_response" && !["new", "assigned"].includes(c.state)) return false;
  if (show === "waiting_on_customer" && c.state !== "waiting_on_customer") return false;
  if (show === "unassigned" && c.assignee) return false;
  if (show === "mine" && (!c.assignee || c.assignee.id !== state.actor.id)) return false;
  if (sla === "breached" && !view.breached) return false;
  if (sla === "not_breached" && view.breached) return false;
  return true;
}

/** Put a changed case where it belongs in the list (or take it out); true when the list changed. */
function place(view) {
  const id = view.case.case_id;
  const at = state.rows.findIndex((r) => r.case.case_id === id);
  if (at >= 0) state.rows.splice(at, 1);
  if (!belongs(view)) return at >= 0;
  const last = state.rows[state.rows.length - 1];
  // Beyond the loaded page the case would sit among cases not loaded yet: "Load more" finds it.
  if (at < 0 && state.nextCursor && last && workingOrder(view, last) > 0) return false;
  const before = state.rows.findIndex((r) => workingOrder(view, r) < 0);
  state.rows.splice(before < 0 ? state.rows.length : before, 0, view);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Signing in and out

async function signIn(token, { quiet = false } = {}) {
  const message = $("#signin-message");
  message.textContent = quiet ? "" : t("signin.checking");
  state.token = token;
  const res = await api("GET", "/v1/queues", undefined, { signingIn: true });
  if (res.status !== 200) {
    state.token = null;
    const key = res.status === 0 ? "signin.unreachable" : "signin.invalid";
    message.textContent = t(key, { message: errorMessage(res) });
    showSignIn();
    return false;
  }
  const me = await api("GET", "/v1/me", undefined, { signingIn: true });
  const who = me.status === 200 ? me.body : { id: null, name: null, role: "agent" };
  // Supervisors and admins see statistics and may transfer.
  state.role = who.role === "supervisor" || who.role === "admin" ? "supervisor" : "agent";
  state.actor = { id: who.id, name: who.name };
  localStorage.setItem(STORE.token, token);
  message.textContent = "";
  $("#token-input").value = "";
  showWorkspace();
  applyQueues(res.body);
  connectLive();
  await restoreLocation();
  return true;
}

function signOut(reason = "") {
  if (state.source) state.source.close();
  state.source = null;
  Object.values(state.timers).forEach((timer) => { clearTimeout(timer); clearInterval(timer); });
  state.timers = {};
  Object.assign(state, { token: null, role: null, actor: { id: null, name: null }, queues: [],
    queue: null, rows: [], nextCursor: null, openCaseId: null, detail: null });
  state.known.clear();
  state.canned.clear();
  localStorage.removeItem(STORE.token);
  localStorage.removeItem(STORE.actor);
  history.replaceState(null, "", location.pathname);
  $("#signin-message").textContent = reason;
  showSignIn();
}

function showSignIn() {
  $("#signin").hidden = false;
  for (const id of ["#workspace", "#supervisor", "#sign-out", "#who", "#live-status", ".views"]) {
    $(id).hidden = true;
  }
  $("#token-input").focus();
}

function showWorkspace() {
  $("#signin").hidden = true;
  for (const id of ["#sign-out", "#who", "#live-status", ".views"]) $(id).hidden = false;
  $('[data-view="supervisor"]').hidden = state.role !== "supervisor";
  renderWho();
  showView("queues");
}

function renderWho() {
  const role = tv("role", state.role);
  $("#who").textContent = state.actor.name
    ? t("who", { name: state.actor.name, role }) : t("who.unnamed", { role });
  $("#who").dataset.role = state.role || "";
}

function learnActor(actor) {
  if (!actor || (state.actor.id && actor.id !== state.actor.id)) return;
  state.actor = { id: actor.id, name: actor.name };
  localStorage.setItem(STORE.actor, JSON.stringify(state.actor));
  renderWho();
}

function showView(view) {
  state.view = view === "supervisor" && state.role === "supervisor" ? "supervisor" : "queues";
  $("#workspace").hidden = state.view !== "queues";
  $("#supervisor").hidden = state.view !== "supervisor";
  for (const tab of document.querySelectorAll(".view-tab")) {
    tab.setAttribute("aria-pressed", String(tab.dataset.view === state.view));
  }
  if (state.view === "supervisor") loadSupervisor();
}

// ---------------------------------------------------------------------------------------------
// Where the user is (#queue=…&case=…), so a reload or a shared link opens the same case

function saveLocation() {
  const params = {};
  if (state.queue) params.queue = state.queue;
  if (state.openCaseId) params.case = state.openCaseId;
  const hash = query(params);
  history.replaceState(null, "", hash ? `#${hash}` : location.pathname);
}

async function restoreLocation() {
  const params = new URLSearchParams(location.hash.slice(1));
  const queue = params.get("queue") || (state.queues[0] && state.queues[0].queue) || null;
  if (queue) await selectQueue(queue);
  const caseId = params.get("case");
  if (caseId) await openCase(caseId);
  else renderCase();
}

// ---------------------------------------------------------------------------------------------
// Queues

async function loadQueues() {
  const res = await api("GET", "/v1/queues");
  if (res.status === 200) applyQueues(res.body);
}

function applyQueues(list) {
  state.queues = list;
  renderQueues();
}

function renderQueues() {
  const ul = $("#queue-list");
  const focused = document.activeElement && document.activeElement.dataset.queue;
  ul.replaceChildren();
  const names = state.queues.map((q) => q.queue);
  if (state.queue && !names.includes(state.queue)) names.push(state.queue);
  if (!names.length) ul.append(h("li", { class: "muted", text: t("queues.empty") }));
  for (const name of names) {
    const q = state.queues.find((x) => x.queue === name)
      || { queue: name, open: 0, unassigned: 0, warned: 0, breached: 0, oldest_waiting: null };
    const oldest = q.oldest_waiting;
    const button = h("button", {
      type: "button", class: "queue", "data-testid": "queue-item", "data-queue": q.queue,
      "aria-pressed": String(q.queue === state.queue), onclick: () => selectQueue(q.queue),
    },
    h("span", { class: "queue-name", text: q.queue }),
    h("span", { class: "counts" },
      h("span", {}, h("span", { class: "count", "data-testid": "queue-open", text: formatNumber(q.open) }),
        ` ${t("queues.open")}`),
      h("span", {}, h("span", { class: "count", "data-testid": "queue-unassigned",
        text: formatNumber(q.unassigned) }), ` ${t("queues.unassigned")}`)),
    h("span", { class: "badges" },
      h("span", { class: `badge warned${q.warned ? "" : " zero"}`, "data-testid": "queue-warned",
        "data-count": q.warned, text: `${formatNumber(q.warned)} ${t("queues.warned")}` }),
      h("span", { class: `badge breached${q.breached ? "" : " zero"}`, "data-testid": "queue-breached",
        "data-count": q.breached, text: `${formatNumber(q.breached)} ${t("queues.breached")}` })),
    oldest
      ? h("span", { class: "oldest", "data-testid": "queue-oldest", "data-since": oldest.opened_at,
        "data-template": "queues.oldest", text: t("queues.oldest", { age: duration(oldest.waiting_seconds) }) })
      : h("span", { class: "oldest muted", text: t("queues.none_waiting") }));
    ul.append(h("li", {}, button));
    if (focused === q.queue) button.focus();
  }
}

async function selectQueue(queue) {
  if (state.queue !== queue) {
    state.queue = queue;
    state.rows = [];
    state.nextCursor = null;
  }
  renderQueues();
  saveLocation();
  await loadCases();
}

// ---------------------------------------------------------------------------------------------
// A queue's cases

async function loadCases({ more = false } = {}) {
  const queue = state.queue;
  if (!queue) return renderRows();
  const params = filterParams();
  if (more && state.nextCursor) params.cursor = state.nextCursor;
  // Only the answer to the latest request counts (the queue or a filter may change meanwhile).
  const asked = (state.casesAsked = (state.casesAsked || 0) + 1);
  const res = await api("GET", `/v1/queues/${encodeURIComponent(queue)}/cases?${query(params)}`);
  if (asked !== state.casesAsked) return;
  if (res.status !== 200) {
    $("#cases-empty").textContent = errorMessage(res);
    return;
  }
  const page = res.body;
  const first = page.items[0];
  if (first) {
    state.serverOffsetMs = Date.parse(first.case.opened_at) + first.age_seconds * 1000 - Date.now();
  }
  const rows = more ? state.rows.slice() : [];
  const ids = new Set(rows.map((r) => r.case.case_id));
  const newer = [];
  for (const item of page.items) {
    const view = remember(item);
    if (ids.has(view.case.case_id)) continue;
    if (view === item) rows.push(item);
    else newer.push(view); // the stream already brought a newer version: place it by its order
  }
  state.rows = rows;
  state.nextCursor = page.next_cursor;
  for (const view of newer) place(view);
  // Cases the stream brought that the index does not hold yet (or not in this shape) stay listed.
  if (!more) {
    const listed = new Set(state.rows.map((r) => r.case.case_id));
    for (const view of state.known.values()) {
      if (!listed.has(view.case.case_id) && belongs(view)) place(view);
    }
  }
  renderRows();
}

function renderRows() {
  const body = $("#case-rows");
  const focusedId = body.contains(document.activeElement)
    ? document.activeElement.closest("tr").dataset.caseId : null;
  body.replaceChildren(...state.rows.map(caseRow));
  $("#cases-title").textContent = state.queue ? t("cases.title", { queue: state.queue }) : "";
  $("#cases-empty").textContent = !state.queue ? t("cases.pick_queue")
    : state.rows.length ? "" : t("cases.empty");
  $("#cases-count").textContent = state.rows.length ? t("cases.count", { shown: state.rows.length }) : "";
  $("#cases-more").hidden = !state.nextCursor;
  if (focusedId) {
    const again = body.querySelector(`tr[data-case-id="${CSS.escape(focusedId)}"] button`);
    if (again) again.focus();
  }
  tick();
}

function assigneeText(c) {
  if (!c.assignee) return t("cases.unassigned");
  return c.assignee.id === state.actor.id ? `${c.assignee.name} (${t("cases.you")})` : c.assignee.name;
}

function slaCell(view) {
  // A breached case shows how late it is; any other, the time left on its next deadline.
  const late = view.breached && view.case.clocks.find((k) => k.status === "breached" && !k.met_at);
  if (late) {
    return h("span", { class: "badge breached", "data-testid": "case-breached",
      "data-since": late.breached_at || late.due_at, "data-template": "cases.late",
      title: tv("clock", late.name) });
  }
  if (!view.next_due_at) {
    return h("span", { class: "muted", text: t("cases.no_clock") });
  }
  return h("span", { class: "countdown", "data-due": view.next_due_at, "data-testid": "case-sla" });
}

function caseRow(view) {
  const c = view.case;
  const selected = c.case_id === state.openCaseId;
  const classes = ["case-row", view.breached && "breached", view.warned && "warned", selected && "selected"];
  return h("tr", {
    class: classes.filter(Boolean).join(" "), "data-testid": "case-row", "data-case-id": c.case_id,
    "data-state": c.state, "data-channel": c.channel, "data-lang": c.lang || "",
    "data-priority": c.priority, "data-breached": String(view.breached),
    "data-warned": String(view.warned), "data-assignee-id": c.assignee ? c.assignee.id : "",
    "data-next-due": view.next_due_at || "", "data-opened": c.opened_at,
    "aria-current": selected ? "true" : null,
    onclick: (event) => { if (!event.target.closest("button")) openCase(c.case_id); },
  },
  h("td", { class: "sla" }, slaCell(view)),
  h("td", {}, h("span", { class: `prio ${c.priority.toLowerCase()}`, text: c.priority })),
  h("td", { class: "lang" }, h("abbr", { title: tv("lang", c.lang || "und"), text: (c.lang || "?").toUpperCase() })),
  h("td", { text: tv("topic", c.topic) }),
  h("td", { class: "customer" },
    h("button", { type: "button", class: "link", "data-testid": "case-open",
      onclick: () => openCase(c.case_id) }, `@${c.customer.handle || c.customer.id}`),
    c.channel === "dm" ? h("span", { class: "badge dm", text: t("case.dm") }) : null,
    c.vip ? h("span", { class: "badge vip", text: t("case.vip") }) : null),
  h("td", { "data-testid": "case-assignee", text: assigneeText(c) }),
  h("td", { "data-testid": "case-state", text: tv("state", c.state) }));
}

function tick() {
  const now = serverNow();
  for (const el of document.querySelectorAll("[data-due]")) {
    const left = (Date.parse(el.dataset.due) - now) / 1000;
    el.textContent = left >= 0 ? duration(left) : t("cases.overdue", { time: duration(-left) });
    el.classList.toggle("overdue", left < 0);
    el.classList.toggle("soon", left >= 0 && left < 60);
  }
  for (const el of document.querySelectorAll("[data-since]")) {
    el.textContent = t(el.dataset.template, { age: duration((now - Date.parse(el.dataset.since)) / 1000) });
  }
}

function moveSelection(step) {
  if (!state.rows.length) return;
  const at = state.rows.findIndex((r) => r.case.case_id === state.openCaseId);
  const next = at < 0 ? (step > 0 ? 0 : state.rows.length - 1)
    : Math.min(state.rows.length - 1, Math.max(0, at + step));
  const id = state.rows[next].case.case_id;
  openCase(id).then(() => {
    const button = $(`#case-rows tr[data-case-id="${CSS.escape(id)}"] button`);
    if (button) button.focus();
  });
}

// ---------------------------------------------------------------------------------------------
// The open case

function openView() {
  if (!state.openCaseId) return null;
  return state.known.get(state.openCaseId) || (state.detail && state.detail.case) || null;
}

async function openCase(caseId) {
  if (state.openCaseId !== caseId) {
    state.openCaseId = caseId;
    state.detail = null;
    buildCaseShell();
  }
  saveLocation();
  for (const tr of document.querySelectorAll("#case-rows tr")) {
    const selected = tr.dataset.caseId === caseId;
    tr.classList.toggle("selected", selected);
    if (selected) tr.setAttribute("aria-current", "true");
    else tr.removeAttribute("aria-current");
  }
  await loadDetail(0);
}

function closeCase() {
  const id = state.openCaseId;
  state.openCaseId = null;
  state.detail = null;
  buildCaseShell();
  saveLocation();
  for (const tr of document.querySelectorAll("#case-rows tr[aria-current]")) {
    tr.classList.remove("selected");
    tr.removeAttribute("aria-current");
  }
  const row = id && $(`#case-rows tr[data-case-id="${CSS.escape(id)}"] button`);
  if (row) row.focus();
}

async function loadDetail(attempt) {
  const caseId = state.openCaseId;
  if (!caseId) return;
  const asked = (state.detailAsked = (state.detailAsked || 0) + 1);
  const res = await api("GET", `/v1/cases/${encodeURIComponent(caseId)}`);
  if (asked !== state.detailAsked || caseId !== state.openCaseId) return;
  if (res.status !== 200) {
    // A case the stream announced may not be indexed yet: try again shortly.
    if (res.status === 404 && attempt < 5) {
      debounce("detail", 1000, () => loadDetail(attempt + 1));
    } else {
      $("#case-status").textContent = errorMessage(res);
    }
    return;
  }
  state.detail = res.body;
  const view = remember(res.body.case);
  renderCase();
  loadCanned(view.case.lang);
  // The index may trail the stream (the case, its history, its tweets): look again until not.
  const history = Math.max(0, ...res.body.events.map((e) => e.case_version));
  const behind = res.body.case.case_version < view.case_version || history < view.case_version
    || res.body.missing_tweet_ids.length > 0;
  if (behind && attempt < 8) debounce("detail", 1200, () => loadDetail(attempt + 1));
}

function buildCaseShell() {
  const body = $("#case-body");
  if (!state.openCaseId) {
    body.replaceChildren(h("p", { class: "muted", "data-testid": "case-none", text: t("case.none") }));
    return;
  }
  body.replaceChildren(
    h("div", { id: "case-header", "data-testid": "case-header" },
      h("p", { class: "muted", text: t("case.loading") })),
    h("div", { id: "case-warnings" }),
    h("div", { id: "case-actions", class: "case-actions" }),
    h("p", { id: "case-status", class: "action-result", role: "status", "data-testid": "action-result" }),
    h("section", { class: "thread", "aria-labelledby": "thread-title" },
      h("h3", { id: "thread-title", text: t("case.thread") }),
      h("ol", { id: "case-thread", "data-testid": "thread" })),
    h("div", { id: "case-composer" }),
    h("section", { class: "history", "aria-labelledby": "history-title" },
      h("h3", { id: "history-title", text: t("case.history") }),
      h("ol", { id: "case-history", "data-testid": "history" })),
  );
  buildActions();
}

function renderCase() {
  if (!state.openCaseId) {
    buildCaseShell();
    return;
  }
  if (!$("#case-header")) buildCaseShell();
  const view = openView();
  if (!view) return;
  $("#case-title").textContent = t("case.title", { id: view.case.case_id });
  renderHeader(view);
  renderWarnings();
  updateActions(view);
  renderComposer(view);
  renderThread(view);
  renderHistory();
  tick();
}

function renderHeader(view) {
  const c = view.case;
  const clocks = c.clocks.map((k) => h("li", { "data-clock": k.name, "data-status": k.status },
    t("case.clock", { clock: tv("clock", k.name), status: tv("clockstatus", k.status) })));
  put($("#case-header"),
    h("div", { class: "case-title-row" },
      h("button", { type: "button", class: "small close-case", "data-testid": "case-close",
        "aria-label": t("case.close"), title: t("case.close"), onclick: closeCase }, "×"),
      h("h3", { class: "customer-name" }, c.customer.name || c.customer.handle || c.customer.id,
        " ", h("span", { class: "handle", text: `@${c.customer.handle || c.customer.id}` })),
      view.breached ? h("span", { class: "badge breached", "data-testid": "case-breached-badge",
        text: t("case.breached") }) : null,
      view.warned ? h("span", { class: "badge warned", text: t("case.warned") }) : null),
    h("p", { class: "tags" },
      h("span", { class: "badge state", "data-testid": "case-state-badge", "data-state": c.state,
        text: tv("state", c.state) }),
      h("span", { class: `prio ${c.priority.toLowerCase()}`, text: c.priority }),
      h("span", { class: `badge ${c.channel}`, "data-testid": "case-channel", "data-channel": c.channel,
        text: c.channel === "dm" ? t("case.dm") : t("case.public") }),
      h("span", { class: "badge", text: tv("lang", c.lang || "und") }),
      h("span", { class: "badge", text: tv("topic", c.topic) }),
      c.vip ? h("span", { class: "badge vip", text: t("case.vip") }) : null,
      h("span", { class: "muted", text: t("case.followers",
        { count: formatNumber(c.customer.followers || 0) }) })),
    h("dl", { class: "facts" },
      h("dt", { text: t("case.assignee") }),
      h("dd", { "data-testid": "case-assignee-name", text: assigneeText(c) }),
      h("dt", { text: t("case.due") }),
      h("dd", {}, view.next_due_at
        ? h("span", { class: "countdown", "data-due": view.next_due_at, "data-testid": "case-countdown" })
        : h("span", { class: "muted", text: t("cases.no_clock") })),
      h("dt", { text: t("case.id") }),
      h("dd", { class: "mono", "data-testid": "case-id", text: c.case_id })),
    h("p", { class: "muted" }, t("case.opened", { time: formatTime(c.opened_at) }), " · ",
      c.first_response_at
        ? h("span", { "data-testid": "first-response", "data-at": c.first_response_at,
          text: t("case.first_response", { time: duration(view.first_response_seconds) }) })
        : h("span", { "data-testid": "no-first-response", text: t("case.no_first_response") })),
    h("ul", { class: "clocks" }, clocks),
    view.open ? null : h("p", { class: "closed-note", text: t("case.closed", { state: tv("state", c.state) }) }),
  );
}

function tweetsById() {
  const map = new Map();
  for (const tweet of (state.detail && state.detail.tweets) || []) map.set(tweet.tweet_id, tweet);
  return map;
}

function renderWarnings() {
  const tweets = [...tweetsById().values()];
  const kinds = [...new Set(tweets.flatMap((tw) => tw.pii || []))];
  const moveToDm = tweets.some((tw) => tw.move_to_dm);
  const box = $("#case-warnings");
  box.replaceChildren();
  if (kinds.length) {
    box.append(h("p", { class: "warning", role: "note", "data-testid": "pii-warning",
      text: t("case.pii", { kinds: kinds.map((k) => tv("pii", k)).join(", ") }) }));
  }
  if (moveToDm) box.append(h("p", { class: "warning", role: "note", text: t("case.move_to_dm") }));
}

function renderThread(view) {
  const tweets = tweetsById();
  const notes = new Map();
  for (const event of (state.detail && state.detail.events) || []) {
    if (event.kind === "noted" && event.outcome) notes.set(event.outcome.action_id, event);
  }
  const items = view.case.thread.map((entry) => {
    if (entry.kind === "note") {
      const note = notes.get(entry.id);
      return h("li", { class: "note", "data-testid": "thread-item", "data-kind": "note" },
        h("p", { class: "meta" }, h("strong", { text: t("case.thread.note") }), " · ",
          note && note.by ? `${note.by.name} · ` : "", formatTime(entry.at)),
        h("p", { class: "text", text: note ? note.detail : "…" }));
    }
    const tweet = tweets.get(entry.id);
    const inbound = entry.direction === "inbound";
    const who = inbound ? t("case.thread.customer") : t("case.thread.brand");
    if (!tweet) {
      return h("li", { class: `tweet ${entry.direction} missing`, "data-testid": "thread-item",
        "data-direction": entry.direction, "data-tweet-id": entry.id },
      h("p", { class: "meta" }, h("strong", { text: who }), " · ", formatTime(entry.at)),
      h("p", { class: "text muted", text: t("case.thread.missing", { id: entry.id }) }));
    }
    const reasons = inbound && tweet.reasons && tweet.reasons.length
      ? h("details", { class: "reasons", "data-testid": "triage-reasons" },
        h("summary", { text: t("case.reasons") }),
        h("ul", {}, tweet.reasons.map((r) => h("li", {},
          t("case.reasons.line", { field: r.field, rule: r.rule,
            detail: [r.detail, r.score !== null && r.score !== undefined ? `(${r.score})` : ""]
              .filter(Boolean).join(" ") })))))
      : null;
    return h("li", {
      class: `tweet ${entry.direction}${tweet.channel === "dm" ? " dm" : ""}`,
      "data-testid": "thread-item", "data-direction": entry.direction, "data-channel": tweet.channel,
      "data-tweet-id": entry.id,
    },
    h("p", { class: "meta" }, h("strong", { text: who }), " ",
      [tweet.author.name, `@${tweet.author.handle || tweet.author.id}`, "·", formatTime(tweet.created_at)]
        .filter(Boolean).join(" "),
      tweet.channel === "dm" ? h("span", { class: "badge dm", "data-testid": "dm-marker", text: t("case.dm") }) : null),
    h("p", { class: "text", lang: tweet.lang || null, text: tweet.text || t("case.thread.redacted") }),
    reasons);
  });
  $("#case-thread").replaceChildren(...items);
}

function renderHistory() {
  const events = (state.detail && state.detail.events) || [];
  const list = $("#case-history");
  if (!events.length) {
    list.replaceChildren(h("li", { class: "muted", text: t("case.history.empty") }));
    return;
  }
  list.replaceChildren(...events.map((e) => h("li", { "data-kind": e.kind, "data-testid": "history-item" },
    h("time", { datetime: e.occurred_at, text: formatTime(e.occurred_at) }), " ",
    h("strong", { text: tv("event", e.kind) }),
    e.clock ? ` (${tv("clock", e.clock)})` : "",
    e.by ? ` ${t("case.history.by", { name: e.by.name })}` : "",
    e.detail && e.kind !== "reply_requested" ? ` — ${e.detail}` : "",
    e.outcome && e.outcome.status === "rejected" ? ` [${e.outcome.code}]` : "")));
}

// -- actions ----------------------------------------------------------------------------------

function buildActions() {
  const button = (kind, label, testid) => h("button", { type: "button", "data-action": kind,
    "data-testid": testid, onclick: () => act(kind, {}) }, label);
  const noReply = h("form", { class: "inline", "data-testid": "no-reply-form",
    onsubmit: (event) => {
      event.preventDefault();
      act("no-reply", { reason: event.target.elements.reason.value.trim() });
    } },
  h("label", { class: "visually-hidden", for: "no-reply-reason", text: t("actions.no_reply_reason") }),
  h("input", { id: "no-reply-reason", name: "reason", maxlength: 200,
    placeholder: t("actions.no_reply_reason") }),
  h("button", { type: "submit", "data-action": "no-reply", "data-testid": "action-no-reply" },
    t("actions.no_reply")));
  const transfer = h("form", { class: "inline", "data-testid": "transfer-form", "data-supervisor": "",
    onsubmit: (event) => {
      event.preventDefault();
      const queue = event.target.elements.queue.value.trim();
      if (queue) act("transfer", { queue });
    } },
  h("label", { for: "transfer-queue", text: t("actions.transfer_to") }),
  h("input", { id: "transfer-queue", name: "queue", list: "queue-names", required: true,
    pattern: "[0-9A-Za-z_.\\-]+", maxlength: 64, "data-testid": "transfer-queue" }),
  h("datalist", { id: "queue-names" }, state.queues.map((q) => h("option", { value: q.queue }))),
  h("button", { type: "submit", "data-action": "transfer", "data-testid": "action-transfer" },
    t("actions.transfer")));
  $("#case-actions").replaceChildren(
    h("h3", { class: "visually-hidden", text: t("actions.title") }),
    button("claim", t("actions.claim"), "action-claim"),
    button("release", t("actions.release"), "action-release"),
    button("resolve", t("actions.resolve"), "action-resolve"),
    noReply, transfer);
}

function updateActions(view) {
  const c = view.case;
  const mine = c.assignee && c.assignee.id === state.actor.id;
  const enabled = {
    claim: view.open && !mine,
    release: view.open && Boolean(c.assignee),
    resolve: view.open,
    "no-reply": view.open,
    transfer: view.open,
  };
  for (const el of document.querySelectorAll("#case-actions [data-action]")) {
    el.disabled = !enabled[el.dataset.action];
  }
  const transfer = $('#case-actions [data-testid="transfer-form"]');
  if (transfer) transfer.hidden = state.role !== "supervisor";
}

async function act(kind, body) {
  const caseId = state.openCaseId;
  if (!caseId) return null;
  const status = $("#case-status");
  status.dataset.status = "sending";
  status.textContent = t("actions.sending");
  const res = await api("POST", `/v1/cases/${encodeURIComponent(caseId)}/${kind}`, body);
  if (caseId === state.openCaseId) showOutcome(kind, res, caseId);
  return res;
}

function showOutcome(kind, res, caseId) {
  if (caseId !== state.openCaseId) return; // the agent has moved on to another case
  const status = $("#case-status");
  const action = t(`action.${kind}`);
  status.dataset.code = (res.body && res.body.error && res.body.error.code) || "";
  if (res.status === 200) {
    status.dataset.status = "applied";
    status.textContent = t("actions.applied", { action });
    const c = res.body.case;
    if (kind === "claim" && c.assignee) learnActor(c.assignee);
    applyView(viewOfCase(c, res.body.case_version));
    for (const warning of res.body.warnings || []) {
      status.append(" ", h("span", { class: "warning-inline", text: t("reply.warning", { message: warning.message }) }));
    }
    debounce("detail", 800, () => loadDetail(0));
  } else if (res.status === 202) {
    status.dataset.status = "pending";
    status.textContent = t("actions.pending", { action });
    pollOutcome(kind, res.body.action_id, caseId, 0);
  } else if (res.status === 409) {
    status.dataset.status = "rejected";
    status.textContent = t("actions.rejected", { message: errorMessage(res) });
  } else if (res.status !== 401) {
    status.dataset.status = "failed";
    status.textContent = t("actions.failed", { message: errorMessage(res) });
  }
}

/** Ask for the outcome of an action answered 202 until there is one (or 30 s have passed). */
async function pollOutcome(kind, actionId, caseId, attempt) {
  if (attempt > 20 || !state.token) return;
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const res = await api("GET", `/v1/actions/${encodeURIComponent(actionId)}`);
  if (res.status === 202) {
    pollOutcome(kind, actionId, caseId, attempt + 1);
    return;
  }
  showOutcome(kind, res, caseId);
  if (res.status === 200 && caseId === state.openCaseId) {
    $("#case-status").textContent = t("actions.pending_done", { action: t(`action.${kind}`) });
  }
}

// -- reply composer ---------------------------------------------------------------------------

/** The weight X counts for `text`: URLs 23, most Latin 1, CJK and other scripts 2
 * (services/api/replies.py, the same ranges). */
function weightedLength(text) {
  const light = [[0, 4351], [8192, 8205], [8208, 8223], [8242, 8247]];
  const urls = text.match(/https?:\/\/\S+/g) || [];
  let total = urls.length * 23;
  for (const ch of text.replace(/https?:\/\/\S+/g, "")) {
    const cp = ch.codePointAt(0);
    total += light.some(([lo, hi]) => cp >= lo && cp <= hi) ? 1 : 2;
  }
  return total;
}

function composed() {
  const text = $("#reply-text").value.trim();
  const signature = $("#reply-signature").value.trim();
  return signature && text ? `${text} ^${signature}` : text;
}

function renderComposer(view) {
  const box = $("#case-composer");
  if (box.dataset.caseId !== view.case.case_id || box.dataset.channel !== view.case.channel) {
    buildComposer(view.case);
  }
  const form = $("#reply-form");
  form.hidden = !view.open;
  $("#note-form").hidden = false;
}

function buildComposer(c) {
  const box = $("#case-composer");
  box.dataset.caseId = c.case_id;
  box.dataset.channel = c.channel;
  const dmCase = c.channel === "dm";
  const channels = dmCase ? ["dm"] : ["public", "dm"];
  const reply = h("form", { id: "reply-form", class: "composer", "data-testid": "reply-form",
    "aria-labelledby": "reply-title", onsubmit: sendReply },
  h("h3", { id: "reply-title", text: t("reply.title") }),
  h("div", { class: "row" },
    h("label", { for: "canned-select", text: t("reply.canned") }),
    h("select", { id: "canned-select", "data-testid": "canned-select", onchange: pickCanned },
      h("option", { value: "", text: t("reply.canned.none") }))),
  h("label", { for: "reply-text", text: t("reply.text") }),
  h("textarea", { id: "reply-text", rows: 4, "data-testid": "reply-text", maxlength: 10000,
    "aria-describedby": "char-count", oninput: updateCount }),
  h("div", { class: "row" },
    h("label", { for: "reply-signature", text: t("reply.signature") }),
    h("input", { id: "reply-signature", "data-testid": "reply-signature", maxlength: 30,
      value: localStorage.getItem(STORE.signature) || "", "aria-describedby": "signature-hint",
      oninput: (event) => { localStorage.setItem(STORE.signature, event.target.value); updateCount(); } }),
    h("span", { id: "signature-hint", class: "muted", text: t("reply.signature.hint") })),
  h("fieldset", { class: "channels", "data-testid": "reply-channels" },
    h("legend", { text: t("reply.channel") }),
    channels.map((channel) => h("label", { class: "radio" },
      h("input", { type: "radio", name: "channel", value: channel, checked: channel === c.channel,
        "data-testid": `channel-${channel}`, onchange: updateCount }),
      t(`reply.channel.${channel}`)))),
  dmCase ? h("p", { class: "note-dm", "data-testid": "dm-only", text: t("reply.dm_only") }) : null,
  h("div", { class: "row send" },
    h("span", { id: "char-count", class: "char-count", "data-testid": "char-count" }),
    h("button", { type: "submit", class: "primary", "data-testid": "reply-send" }, t("reply.send"))));
  const note = h("form", { id: "note-form", class: "composer note-form", "data-testid": "note-form",
    onsubmit: async (event) => {
      event.preventDefault();
      const text = $("#note-text").value.trim();
      if (!text) return;
      const res = await act("note", { text });
      if (res && res.status === 200) $("#note-text").value = "";
    } },
  h("label", { for: "note-text", text: t("actions.note_label") }),
  // The case history keeps 500 characters of a note (services/sla/actions.py), so no more.
  h("textarea", { id: "note-text", rows: 2, maxlength: 500, "data-testid": "note-text" }),
  h("button", { type: "submit", "data-testid": "note-add" }, t("actions.note")));
  box.replaceChildren(reply, note);
  fillCanned(c.lang);
  updateCount();
}

function selectedChannel() {
  const checked = document.querySelector('#reply-form input[name="channel"]:checked');
  return checked ? checked.value : "public";
}

function updateCount() {
  const count = $("#char-count");
  if (!count) return;
  const used = weightedLength(composed());
  const publicPost = selectedChannel() === "public";
  const over = publicPost && used > MAX_TWEET_WEIGHT;
  count.textContent = publicPost
    ? t("reply.count", { used, limit: MAX_TWEET_WEIGHT }) : t("reply.count_dm", { used });
  if (over) count.textContent += ` — ${t("reply.too_long", { used, limit: MAX_TWEET_WEIGHT })}`;
  count.dataset.weight = String(used);
  count.classList.toggle("over", over);
  $('#reply-form [data-testid="reply-send"]').disabled = over || used === 0;
}

async function loadCanned(caseLang) {
  const key = caseLang || "*";
  if (!state.canned.has(key)) {
    const res = await api("GET", `/v1/canned-replies${caseLang ? `?${query({ lang: caseLang })}` : ""}`);
    if (res.status !== 200) return;
    state.canned.set(key, res.body.slice().sort((a, b) => a.name.localeCompare(b.name)));
  }
  fillCanned(caseLang);
}

function fillCanned(caseLang) {
  const select = $("#canned-select");
  const replies = state.canned.get(caseLang || "*");
  if (!select || !replies || select.dataset.filled === (caseLang || "*")) return;
  select.dataset.filled = caseLang || "*";
  select.replaceChildren(h("option", { value: "", text: t("reply.canned.none") }),
    ...replies.map((r) => h("option", { value: r.id, "data-lang": r.lang, text: r.name })));
}

function render(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? values[name] : whole));
}

function pickCanned(event) {
  const view = openView();
  const replies = state.canned.get((view && view.case.lang) || "*") || [];
  const chosen = replies.find((r) => r.id === event.target.value);
  const textarea = $("#reply-text");
  if (!chosen || !view) {
    delete textarea.dataset.cannedId;
    return;
  }
  const c = view.case;
  const text = render(chosen.text, {
    customer_name: c.customer.name || c.customer.handle || "", customer_handle: c.customer.handle || "",
    agent_name: state.actor.name || "", brand: c.brand, case_id: c.case_id,
  });
  textarea.value = text;
  textarea.dataset.cannedId = chosen.id;
  textarea.dataset.cannedText = text;
  updateCount();
}

async function sendReply(event) {
  event.preventDefault();
  const textarea = $("#reply-text");
  const signature = $("#reply-signature").value.trim() || null;
  const channel = selectedChannel();
  // Unchanged canned text goes by id, so the API fills its variables with what it knows.
  const body = textarea.dataset.cannedId && textarea.value === textarea.dataset.cannedText
    ? { canned_id: textarea.dataset.cannedId, signature, channel }
    : { text: textarea.value.trim(), signature, channel };
  const res = await act("reply", body);
  if (res && res.status === 200) {
    textarea.value = "";
    delete textarea.dataset.cannedId;
    $("#canned-select").value = "";
    updateCount();
  }
}

// ---------------------------------------------------------------------------------------------
// Live updates

function setLive(mode) {
  const el = $("#live-status");
  el.dataset.state = mode;
  el.textContent = t(mode === "on" ? "live.on" : mode === "connecting" ? "live.connecting" : "live.off");
}

function connectLive() {
  if (state.source) state.source.close();
  setLive("connecting");
  const source = new EventSource(`/v1/queues/*/stream?${query({ access_token: state.token })}`);
  state.source = source;
  source.addEventListener("open", () => setLive("on"));
  source.addEventListener("error", () => {
    setLive("off");
    // The browser reconnects by itself (with Last-Event-ID) unless the server refused the stream.
    if (source.readyState === EventSource.CLOSED && state.source === source) {
      debounce("reconnect", 3000, () => {
        if (!state.token) return;
        connectLive();
        reloadAll();
      });
    }
  });
  source.addEventListener("case", (message) => onCaseEvent(JSON.parse(message.data)));
  source.addEventListener("reset", () => {
    announce(t("live.reset"));
    reloadAll();
  });
}

function reloadAll() {
  loadQueues();
  loadCases();
  if (state.openCaseId) loadDetail(0);
}

function applyView(view) {
  const kept = remember(view);
  if (kept !== view) return kept;
  if (place(view)) renderRows();
  else updateRow(view);
  if (view.case.case_id === state.openCaseId) renderCase();
  return view;
}

function updateRow(view) {
  const row = $(`#case-rows tr[data-case-id="${CSS.escape(view.case.case_id)}"]`);
  if (!row) return;
  row.replaceWith(caseRow(view));
  tick();
}

function onCaseEvent(event) {
  const view = viewOfCase(event.case, event.case_version);
  const before = state.known.get(view.case.case_id);
  if (applyView(view) !== view) return;
  const c = event.case;
  const handle = c.customer.handle || c.customer.id;
  const kind = event.change.kind;
  const by = event.change.by;
  if (by && by.id === state.actor.id && !state.actor.name) learnActor(by);
  const relevant = c.queue === state.queue || c.case_id === state.openCaseId;
  if (relevant && kind === "opened") {
    debounce("announce-new", 1500, () => announce(t("announce.new_case", { queue: c.queue, handle })));
  } else if (relevant && kind === "claimed" && by && by.id !== state.actor.id) {
    announce(t("announce.claimed", { handle, name: by.name }));
  } else if (relevant && kind === "sla_breach" && !(before && before.breached)) {
    announce(t("announce.breach", { handle, queue: c.queue }));
  } else if (c.case_id === state.openCaseId && kind === "responded") {
    announce(t("announce.responded", { handle }));
  }
  const row = $(`#case-rows tr[data-case-id="${CSS.escape(c.case_id)}"]`);
  if (row) row.classList.add("flash");
  if (c.case_id === state.openCaseId) debounce("detail", 700, () => loadDetail(0));
  debounce("queues", 800, loadQueues);
}

// ---------------------------------------------------------------------------------------------
// Supervisor view: statistics as inline SVG charts, each with its figures in a table

async function loadSupervisor() {
  const week = $("#sup-window").value === "week";
  const until = new Date();
  const since = new Date(until.getTime() - (week ? 7 * 86400_000 : 86400_000));
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const range = { since: since.toISOString(), until: until.toISOString(), tz };
  const [cases, backlog] = await Promise.all([
    api("GET", `/v1/stats/cases?${query({ ...range, group_by: "queue" })}`),
    api("GET", `/v1/stats/backlog?${query({ ...range, interval: week ? "day" : "hour" })}`),
  ]);
  const message = $("#sup-message");
  message.textContent = "";
  if (cases.status === 403 || backlog.status === 403) {
    message.textContent = t("sup.forbidden");
    return;
  }
  if (cases.status !== 200 || backlog.status !== 200) {
    message.textContent = errorMessage(cases.status !== 200 ? cases : backlog);
    return;
  }
  state.stats = { cases: cases.body, backlog: backlog.body, week };
  renderSupervisor();
}

function renderSupervisor() {
  if (!state.stats) return;
  const { cases, backlog, week } = state.stats;
  const percent = (v) => (v === null ? "—" : formatNumber(v, { style: "percent", maximumFractionDigits: 1 }));
  chartInto("chart-attainment", cases.length ? barChart("chart-attainment-title",
    cases.map((row) => ({ label: row.group, bars: [{ value: row.sla_attainment, cls: "attain",
      text: `${percent(row.sla_attainment)} (${row.sla_met}/${row.sla_met + row.sla_breached})` }] })),
    1, { track: true })
    : null,
  table([t("sup.table.queue"), t("sup.table.attainment"), t("sup.table.met"), t("sup.table.breached")],
    cases.map((r) => [r.group, percent(r.sla_attainment), r.sla_met, r.sla_breached])));
  const secs = (v) => (v === null ? "—" : duration(v));
  const slowest = Math.max(1, ...cases.map((r) => r.first_response_p90 || 0));
  chartInto("chart-response", cases.length ? barChart("chart-response-title",
    cases.map((row) => ({ label: row.group, bars: [
      { value: row.first_response_p50, cls: "p50", text: `${t("sup.p50")} ${secs(row.first_response_p50)}` },
      { value: row.first_response_p90, cls: "p90", text: `${t("sup.p90")} ${secs(row.first_response_p90)}` },
    ] })), slowest) : null,
  table([t("sup.table.queue"), t("sup.p50"), t("sup.p90")],
    cases.map((r) => [r.group, secs(r.first_response_p50), secs(r.first_response_p90)])));
  const label = (iso) => new Intl.DateTimeFormat(lang() === "ja" ? "ja-JP" : "en-GB",
    week ? { month: "short", day: "numeric" } : { hour: "2-digit", minute: "2-digit" }).format(new Date(iso));
  const series = [
    { key: "open_at_end", cls: "open", name: t("sup.open") },
    { key: "opened", cls: "opened", name: t("sup.opened") },
    { key: "closed", cls: "closed", name: t("sup.closed") },
  ];
  chartInto("chart-backlog", backlog.length ? lineChart("chart-backlog-title", backlog, series, label) : null,
    table([t("sup.table.period"), ...series.map((x) => x.name)],
      backlog.map((p) => [label(p.period), ...series.map((x) => p[x.key])])));
}

function chartInto(id, svg, figures) {
  const box = $(`#${id}`);
  box.replaceChildren(svg || h("p", { class: "muted", text: t("sup.no_data") }),
    h("details", { class: "figures" }, h("summary", { text: t("sup.figures") }), figures));
}

function table(headers, rows) {
  return h("table", { class: "figures-table" },
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col", text: x })))),
    h("tbody", {}, rows.map((row) => h("tr", {}, row.map((cell) => h("td", { text: String(cell) }))))));
}

/** Horizontal bars; `track` draws the whole scale behind each bar (for shares of 100%). */
function barChart(titleId, rows, max, { track = false } = {}) {
  const width = 560;
  const labelWidth = 130;
  const room = width - labelWidth - 150;
  const barHeight = 16;
  const parts = [];
  let y = 6;
  for (const row of rows) {
    const height = row.bars.length * (barHeight + 4) - 4;
    parts.push(s("text", { x: labelWidth - 8, y: y + height / 2, class: "label", "text-anchor": "end",
      "dominant-baseline": "middle" }, row.label));
    row.bars.forEach((bar, i) => {
      const top = y + i * (barHeight + 4);
      const length = bar.value === null ? 0 : Math.max(2, (room * bar.value) / max);
      if (track) parts.push(s("rect", { x: labelWidth, y: top, width: room, height: barHeight, rx: 2, class: "track" }));
      if (bar.value !== null) {
        parts.push(s("rect", { x: labelWidth, y: top, width: length, height: barHeight, rx: 2,
          class: `bar ${bar.cls}`, "data-value": bar.value }, s("title", {}, `${row.label}: ${bar.text}`)));
      }
      parts.push(s("text", { x: labelWidth + length + 6, y: top + barHeight / 2, class: "value",
        "dominant-baseline": "middle" }, bar.text));
    });
    y += height + 14;
  }
  parts.push(s("line", { x1: labelWidth, x2: labelWidth, y1: 0, y2: y - 8, class: "axis" }));
  return s("svg", { viewBox: `0 0 ${width} ${y}`, class: "svg-chart", role: "img",
    "aria-label": t("sup.chart_label", { title: $(`#${titleId}`).textContent }) }, parts);
}

function lineChart(titleId, points, series, label) {
  const width = 1000;
  const height = 240;
  const pad = { left: 44, right: 16, top: 12, bottom: 30 };
  const max = Math.max(1, ...points.flatMap((p) => series.map((x) => p[x.key])));
  const xAt = (i) => pad.left + (points.length === 1 ? 0 : (i * (width - pad.left - pad.right)) / (points.length - 1));
  const yAt = (v) => height - pad.bottom - (v * (height - pad.top - pad.bottom)) / max;
  const parts = [];
  for (const v of [0, Math.round(max / 2), max]) {
    parts.push(s("line", { x1: pad.left, x2: width - pad.right, y1: yAt(v), y2: yAt(v), class: "grid" }));
    parts.push(s("text", { x: pad.left - 6, y: yAt(v), class: "label", "text-anchor": "end",
      "dominant-baseline": "middle" }, formatNumber(v)));
  }
  const ticks = [...new Set([0, Math.floor((points.length - 1) / 2), points.length - 1])];
  for (const i of ticks) {
    const anchor = i === 0 ? "start" : i === points.length - 1 ? "end" : "middle";
    parts.push(s("text", { x: xAt(i), y: height - 8, class: "label", "text-anchor": anchor },
      label(points[i].period)));
  }
  for (const line of series.slice().reverse()) { // the first series drawn last, on top
    const coords = points.map((p, i) => `${xAt(i).toFixed(1)},${yAt(p[line.key]).toFixed(1)}`).join(" ");
    parts.push(s("polyline", { points: coords, class: `line ${line.cls}`, "data-series": line.key },
      s("title", {}, line.name)));
    if (points.length <= 48) {
      points.forEach((p, i) => parts.push(s("circle", { cx: xAt(i), cy: yAt(p[line.key]), r: 2.5,
        class: `dot ${line.cls}` }, s("title", {}, `${label(p.period)} ${line.name}: ${p[line.key]}`))));
    }
  }
  const legend = h("ul", { class: "legend" }, series.map((x) => h("li", {},
    h("span", { class: `swatch ${x.cls}`, "aria-hidden": "true" }), x.name)));
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, class: "svg-chart", role: "img",
    "aria-label": t("sup.chart_label", { title: $(`#${titleId}`).textContent }) }, parts);
  return h("div", {}, svg, legend);
}

// ---------------------------------------------------------------------------------------------
// Keyboard: j/k move, c claim, r reply, e resolve, ? help, Esc leaves a field

function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey || !state.token) return;
  const target = event.target;
  const typing = target.closest && target.closest("input, textarea, select, [contenteditable]");
  if (typing) {
    if (event.key === "Escape") target.blur();
    return;
  }
  if ($("#help").open) return;
  if (event.key === "?") {
    event.preventDefault();
    $("#help").showModal();
    return;
  }
  if (state.view !== "queues") return;
  const view = openView();
  switch (event.key) {
    case "j": moveSelection(1); break;
    case "k": moveSelection(-1); break;
    case "c": if (view) act("claim", {}); break;
    case "e": if (view) act("resolve", {}); break;
    case "r":
      if (view && $("#reply-text")) {
        event.preventDefault();
        $("#reply-text").focus();
      }
      break;
    default: return;
  }
}

// ---------------------------------------------------------------------------------------------
// Start

function applyLanguage(code) {
  setLang(code);
  localStorage.setItem(STORE.lang, code);
  $("#lang-select").value = lang();
  translatePage();
  if (!state.token) return;
  renderWho();
  setLive($("#live-status").dataset.state);
  renderQueues();
  renderRows();
  if (state.openCaseId) {
    buildCaseShell();
    renderCase();
  }
  renderSupervisor();
}

function start() {
  setLang(localStorage.getItem(STORE.lang) || defaultLang(navigator.languages || [navigator.language]));
  $("#lang-select").value = lang();
  translatePage();
  const savedFilters = JSON.parse(localStorage.getItem(STORE.filters) || "{}");
  if (savedFilters.show) $("#filter-show").value = savedFilters.show;
  if (savedFilters.sla) $("#filter-sla").value = savedFilters.sla;

  $("#lang-select").addEventListener("change", (event) => applyLanguage(event.target.value));
  $("#signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = $("#token-input").value.trim();
    if (token) signIn(token);
  });
  $("#sign-out").addEventListener("click", () => signOut());
  $("#help-button").addEventListener("click", () => $("#help").showModal());
  $("#queues-refresh").addEventListener("click", () => { loadQueues(); loadCases(); });
  $("#cases-more").addEventListener("click", () => loadCases({ more: true }));
  for (const id of ["#filter-show", "#filter-sla"]) {
    $(id).addEventListener("change", () => {
      localStorage.setItem(STORE.filters, JSON.stringify(filters()));
      state.rows = [];
      state.nextCursor = null;
      loadCases();
    });
  }
  for (const tab of document.querySelectorAll(".view-tab")) {
    tab.addEventListener("click", () => showView(tab.dataset.view));
  }
  $("#sup-window").addEventListener("change", loadSupervisor);
  $("#sup-refresh").addEventListener("click", loadSupervisor);
  document.addEventListener("keydown", onKey);
  // A followed link to #queue=…&case=… opens that case (replaceState, ours, fires no event).
  window.addEventListener("hashchange", () => { if (state.token) restoreLocation(); });
  setInterval(tick, 1000);
  // A safety net under the live stream: counts move with time (overdue cases), not only events.
  setInterval(() => { if (state.token && state.view === "queues") loadQueues(); }, 15_000);
  setInterval(() => { if (state.token && state.view === "supervisor") loadSupervisor(); }, 60_000);

  const token = localStorage.getItem(STORE.token);
  if (token) signIn(token, { quiet: true });
  else showSignIn();
}

start();
