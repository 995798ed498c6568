// The queues and a queue's cases: counts, the case list in working order (kept in order as
// live changes arrive), filters, and the SLA countdowns that tick each second.

import { t, tv, duration, formatNumber } from "./i18n.js";
import { api, errorMessage, query } from "./api.js";
import { openCase } from "./caseview.js";
import { h } from "./dom.js";
import { workingOrder } from "./mirror.js";
import { saveLocation } from "./session.js";
import { PAGE_SIZE, state, $, serverNow, remember } from "./state.js";

export async function loadQueues() {
  const res = await api("GET", "/v1/queues");
  if (res.status === 200) applyQueues(res.body);
}

export function applyQueues(list) {
  state.queues = list;
  renderQueues();
}

export function renderQueues() {
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

export async function selectQueue(queue) {
  if (state.queue !== queue) {
    state.queue = queue;
    state.rows = [];
    state.nextCursor = null;
  }
  renderQueues();
  saveLocation();
  await loadCases();
}

export function filters() {
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
export function place(view) {
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

export async function loadCases({ more = false } = {}) {
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

export function renderRows() {
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

export function assigneeText(c) {
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

export function tick() {
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

export function moveSelection(step) {
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

export function updateRow(view) {
  const row = $(`#case-rows tr[data-case-id="${CSS.escape(view.case.case_id)}"]`);
  if (!row) return;
  row.replaceWith(caseRow(view));
  tick();
}
