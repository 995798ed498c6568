// Live updates: one EventSource on /v1/queues/*/stream; each case event updates the list, the
// open case and the counts, and is announced when it concerns the agent. The stream is opened
// with a short-lived ticket (POST /v1/stream-tickets), never the token in the URL; a new ticket
// resumes from the last event received (?last_event_id=), and `revoked` signs out.

import { t } from "./i18n.js";
import { api, query } from "./api.js";
import { loadDetail, renderCase } from "./caseview.js";
import { debounce, announce } from "./dom.js";
import { viewOfCase } from "./mirror.js";
import { loadQueues, place, loadCases, renderRows, updateRow } from "./queue.js";
import { learnActor, signOut } from "./session.js";
import { state, $, remember } from "./state.js";

export function setLive(mode) {
  const el = $("#live-status");
  el.dataset.state = mode;
  el.textContent = t(mode === "on" ? "live.on" : mode === "connecting" ? "live.connecting" : "live.off");
}

export async function connectLive() {
  const attempt = ++state.liveAttempt;
  if (state.source) state.source.close();
  state.source = null;
  setLive("connecting");
  const issued = await api("POST", "/v1/stream-tickets");
  if (attempt !== state.liveAttempt || !state.token) return; // superseded, or signed out (401)
  if (issued.status !== 200 || !issued.body) {
    setLive("off");
    debounce("reconnect", 3000, () => {
      if (state.token) connectLive();
    });
    return;
  }
  const params = { ticket: issued.body.ticket, last_event_id: state.lastEventId };
  const source = new EventSource(`/v1/queues/*/stream?${query(params)}`);
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
  source.addEventListener("case", (message) => {
    state.lastEventId = message.lastEventId || state.lastEventId;
    onCaseEvent(JSON.parse(message.data));
  });
  source.addEventListener("revoked", () => {
    source.close();
    if (state.source === source) signOut(t("error.unauthorized"));
  });
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

export function applyView(view) {
  const kept = remember(view);
  if (kept !== view) return kept;
  if (place(view)) renderRows();
  else updateRow(view);
  if (view.case.case_id === state.openCaseId) renderCase();
  return view;
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
