// Signing in and out, the views (queues, supervisor), and where the user is (#queue=…&case=…),
// so a reload or a shared link opens the same case.

import { t, tv } from "./i18n.js";
import { api, errorMessage, query } from "./api.js";
import { openCase, renderCase } from "./caseview.js";
import { loadSupervisor } from "./charts.js";
import { connectLive } from "./live.js";
import { applyQueues, selectQueue } from "./queue.js";
import { showReport } from "./report.js";
import { showSearch } from "./search.js";
import { STORE, state, $ } from "./state.js";

export async function signIn(token, { quiet = false } = {}) {
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

export function signOut(reason = "") {
  if (state.source) state.source.close();
  state.source = null;
  Object.values(state.timers).forEach((timer) => { clearTimeout(timer); clearInterval(timer); });
  state.timers = {};
  Object.assign(state, { token: null, role: null, actor: { id: null, name: null }, queues: [],
    queue: null, rows: [], nextCursor: null, openCaseId: null, detail: null, lastEventId: null });
  state.known.clear();
  state.canned.clear();
  localStorage.removeItem(STORE.token);
  localStorage.removeItem(STORE.actor);
  history.replaceState(null, "", location.pathname);
  $("#signin-message").textContent = reason;
  showSignIn();
}

export function showSignIn() {
  $("#signin").hidden = false;
  for (const id of ["#workspace", "#supervisor", "#search-view", "#report-view", "#sign-out", "#who",
    "#live-status", ".views"]) {
    $(id).hidden = true;
  }
  $("#token-input").focus();
}

function showWorkspace() {
  $("#signin").hidden = true;
  for (const id of ["#sign-out", "#who", "#live-status", ".views"]) $(id).hidden = false;
  $('[data-view="supervisor"]').hidden = state.role !== "supervisor";
  $('[data-view="report"]').hidden = state.role !== "supervisor";
  renderWho();
  showView("queues");
}

export function renderWho() {
  const role = tv("role", state.role);
  $("#who").textContent = state.actor.name
    ? t("who", { name: state.actor.name, role }) : t("who.unnamed", { role });
  $("#who").dataset.role = state.role || "";
}

export function learnActor(actor) {
  if (!actor || (state.actor.id && actor.id !== state.actor.id)) return;
  state.actor = { id: actor.id, name: actor.name };
  localStorage.setItem(STORE.actor, JSON.stringify(state.actor));
  renderWho();
}

// Each view and its section; supervisors' views are refused to agents (they show the queues).
const VIEWS = { queues: "#workspace", supervisor: "#supervisor", search: "#search-view", report: "#report-view" };
const SUPERVISORS = new Set(["supervisor", "report"]);

export function showView(view) {
  const allowed = view in VIEWS && (!SUPERVISORS.has(view) || state.role === "supervisor");
  state.view = allowed ? view : "queues";
  for (const [name, id] of Object.entries(VIEWS)) $(id).hidden = state.view !== name;
  for (const tab of document.querySelectorAll(".view-tab")) {
    tab.setAttribute("aria-pressed", String(tab.dataset.view === state.view));
  }
  if (state.view === "supervisor") loadSupervisor();
  if (state.view === "search") showSearch();
  if (state.view === "report") showReport();
}

export function saveLocation() {
  const params = {};
  if (state.queue) params.queue = state.queue;
  if (state.openCaseId) params.case = state.openCaseId;
  const hash = query(params);
  history.replaceState(null, "", hash ? `#${hash}` : location.pathname);
}

export async function restoreLocation() {
  const params = new URLSearchParams(location.hash.slice(1));
  const queue = params.get("queue") || (state.queues[0] && state.queues[0].queue) || null;
  if (queue) await selectQueue(queue);
  const caseId = params.get("case");
  if (caseId) await openCase(caseId);
  else renderCase();
}
