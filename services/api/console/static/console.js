// The agent console: sign in with a token, work a queue, answer cases, watch it all live.
//
// Data comes from the API of the same origin (Authorization: Bearer <token>); live changes come
// from one EventSource on /v1/queues/*/stream. The read model (Elasticsearch) trails the live
// events by a moment, so every case the console knows is kept at its highest case_version and an
// older snapshot from a page or a reload never replaces a newer one from the stream.
//
// This module starts the page; each part is a module of its own (no build step): state, dom,
// api, session, queue, caseview, actions, composer, live, charts, search, report, dmnudge,
// download, keys, and mirror (what the console computes as the server does).

import { setLang, lang, defaultLang, translatePage } from "./i18n.js";
import { buildCaseShell, renderCase } from "./caseview.js";
import { loadSupervisor, renderSupervisor } from "./charts.js";
import { onKey } from "./keys.js";
import { renderReport } from "./report.js";
import { renderSearch } from "./search.js";
import { setLive } from "./live.js";
import { loadQueues, renderQueues, filters, loadCases, renderRows, tick } from "./queue.js";
import { signIn, signOut, showSignIn, renderWho, showView, restoreLocation } from "./session.js";
import { STORE, state, $ } from "./state.js";

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
  renderSearch();
  renderReport();
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
