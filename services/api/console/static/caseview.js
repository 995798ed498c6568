// The open case: header, personal-data warnings, thread with triage reasons, history.

import { t, tv, duration, formatTime, formatNumber } from "./i18n.js";
import { buildActions, updateActions } from "./actions.js";
import { api, errorMessage } from "./api.js";
import { renderComposer, loadCanned } from "./composer.js";
import { dmNudge } from "./dmnudge.js";
import { h, put, debounce } from "./dom.js";
import { assigneeText, tick } from "./queue.js";
import { saveLocation } from "./session.js";
import { state, $, remember } from "./state.js";

export function openView() {
  if (!state.openCaseId) return null;
  return state.known.get(state.openCaseId) || (state.detail && state.detail.case) || null;
}

export async function openCase(caseId) {
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

export async function loadDetail(attempt) {
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

export function buildCaseShell() {
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

export function renderCase() {
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
  const nudge = dmNudge(openView(), tweets);
  if (nudge) box.append(nudge);
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
