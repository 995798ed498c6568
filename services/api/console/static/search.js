// The search screen: full text (English and Japanese) and filters over tweets or cases with the
// API's facet counts (POST /v1/search), 要対応 from a result (POST /v1/tweets/{id}/case), CSV
// export of the search (POST /v1/search/export), and search folders (/v1/saved-searches):
// private, or shared with the team and optionally a queue; each exported as CSV from the page.

import "./screen-strings.js";
import { t, tv, formatTime, formatNumber } from "./i18n.js";
import { api, errorMessage } from "./api.js";
import { openCase } from "./caseview.js";
import { h, put, announce } from "./dom.js";
import { download } from "./download.js";
import { selectQueue } from "./queue.js";
import { showView } from "./session.js";
import { state, $ } from "./state.js";

const PAGE = 25;
const BOOLEAN = new Set(["complaint", "needs_reply"]);
// Facet values shown with the console's names for them (the rest as they are).
const NAMED = new Set(["topic", "state", "sentiment"]);

const search = {
  target: "tweets", text: "", lang: "", needsReply: "", sort: "newest",
  picked: {}, // facet name -> values ticked
  hits: [], total: null, facets: {}, cursor: null, folders: [], built: false,
};

/** The search as POST /v1/search takes it (no cursor, no size): what a folder keeps. */
export function searchBody() {
  const body = { target: search.target, sort: search.sort };
  if (search.text.trim()) body.text = search.text.trim();
  const lists = {};
  for (const [name, values] of Object.entries(search.picked)) if (values.length) lists[name] = [...values];
  if (search.lang) lists.lang = [...new Set([...(lists.lang || []), search.lang])];
  for (const [name, values] of Object.entries(lists)) {
    if (!BOOLEAN.has(name)) body[name] = values;
    else if (values.length === 1) body[name] = values[0] === "true";
  }
  if (search.target === "tweets" && search.needsReply) body.needs_reply = search.needsReply === "true";
  return body;
}

/** Show the screen (built once; a language change rebuilds it with what was typed kept). */
export function showSearch() {
  if (!search.built) buildSearch();
  loadFolders();
  if (search.total === null) runSearch();
}

export function renderSearch() {
  if (!search.built) return;
  buildSearch();
  renderResults();
  renderFolders();
}

function field(id, label, control, hint) {
  return h("div", { class: "field" }, h("label", { for: id, text: label }), control,
    hint ? h("span", { id: `${id}-hint`, class: "muted small-text", text: hint }) : null);
}

function select(id, value, options, onchange) {
  return h("select", { id, "data-testid": id, onchange },
    options.map(([v, text]) => h("option", { value: v, text, selected: v === value })));
}

function buildSearch() {
  search.built = true;
  const form = h("form", { class: "search-form", role: "search", "data-testid": "search-form",
    "aria-labelledby": "search-title", onsubmit: (event) => { event.preventDefault(); runSearch(); } },
  field("search-text", t("search.text"), h("input", { id: "search-text", type: "search",
    "data-testid": "search-text", value: search.text, maxlength: 500, "aria-describedby": "search-text-hint",
    oninput: (event) => { search.text = event.target.value; } }), t("search.text.hint")),
  field("search-target", t("search.target"), select("search-target", search.target,
    ["tweets", "cases"].map((v) => [v, t(`search.target.${v}`)]), (event) => {
      search.target = event.target.value;
      search.picked = {};
      $("#search-needs-reply").disabled = search.target !== "tweets";
      runSearch();
    })),
  field("search-lang", t("search.lang"), select("search-lang", search.lang,
    [["", t("search.lang.any")], ["ja", "日本語"], ["en", "English"]],
    (event) => { search.lang = event.target.value; runSearch(); })),
  field("search-needs-reply", t("search.needs_reply"), select("search-needs-reply", search.needsReply,
    ["", "true", "false"].map((v) => [v, t(`search.needs_reply.${v || "any"}`)]),
    (event) => { search.needsReply = event.target.value; runSearch(); })),
  field("search-sort", t("search.sort"), select("search-sort", search.sort,
    ["newest", "oldest", "relevance"].map((v) => [v, t(`search.sort.${v}`)]),
    (event) => { search.sort = event.target.value; runSearch(); })),
  h("div", { class: "field buttons" },
    h("button", { type: "submit", class: "primary", "data-testid": "search-submit", text: t("search.submit") }),
    h("button", { type: "button", "data-testid": "search-export", onclick: exportSearch, text: t("search.export") }),
    h("button", { type: "button", "data-testid": "search-clear", text: t("search.clear"),
      onclick: () => { search.picked = {}; runSearch(); } })));
  const queues = state.queues.map((q) => q.queue);
  const save = h("form", { class: "folder-form", "data-testid": "folder-form", onsubmit: saveFolder },
    field("folder-name", t("folders.name"), h("input", { id: "folder-name", "data-testid": "folder-name",
      required: true, maxlength: 100 })),
    field("folder-visibility", t("folders.visibility"), select("folder-visibility", "private",
      ["private", "shared"].map((v) => [v, t(`folders.visibility.${v}`)]),
      (event) => { $("#folder-queue").disabled = event.target.value !== "shared"; })),
    field("folder-queue", t("folders.queue"), select("folder-queue", "",
      [["", t("folders.queue.any")], ...queues.map((q) => [q, q])])),
    h("button", { type: "submit", "data-testid": "folder-save", text: t("folders.save") }));
  put($("#search-view"),
    h("div", { class: "panel-head" }, h("h2", { id: "search-title", text: t("search.title") })),
    form,
    h("p", { id: "search-message", class: "status-line", role: "status", "data-testid": "search-message" }),
    h("div", { class: "search-layout" },
      h("aside", { class: "panel facets-panel", "aria-labelledby": "facets-title" },
        h("h3", { id: "facets-title", text: t("search.facets") }),
        h("div", { id: "search-facets", "data-testid": "search-facets" })),
      h("section", { class: "panel results-panel", "aria-labelledby": "results-title" },
        h("div", { class: "panel-head" }, h("h3", { id: "results-title", text: t("search.results") }),
          h("span", { id: "search-total", class: "muted", "data-testid": "search-total" })),
        h("div", { id: "search-results", class: "table-wrap" }),
        h("button", { type: "button", id: "search-more", class: "small", "data-testid": "search-more",
          hidden: true, onclick: () => runSearch({ more: true }), text: t("search.more") })),
      h("aside", { class: "panel folders-panel", "aria-labelledby": "folders-title" },
        h("h3", { id: "folders-title", text: t("folders.title") }),
        h("ul", { id: "folder-list", class: "folder-list", "data-testid": "folder-list" }),
        save)));
  $("#search-needs-reply").disabled = search.target !== "tweets";
  $("#folder-queue").disabled = true;
}

function say(text) {
  const line = $("#search-message");
  if (line) line.textContent = text;
}

export async function runSearch({ more = false } = {}) {
  if (!search.built) return;
  const body = { ...searchBody(), size: PAGE };
  if (more && search.cursor) body.cursor = search.cursor;
  say(t("search.searching"));
  const res = await api("POST", "/v1/search", body);
  if (res.status !== 200) {
    say(errorMessage(res));
    return;
  }
  say("");
  search.hits = more ? [...search.hits, ...res.body.hits] : res.body.hits;
  search.total = res.body.total;
  search.facets = res.body.facets;
  search.cursor = res.body.next_cursor;
  renderResults();
  if (!more) announce(t("search.total", { total: formatNumber(search.total) }));
}

function facetLabel(name, value) {
  if (BOOLEAN.has(name)) return t(`search.facet.${value}`);
  return NAMED.has(name) ? tv(name, value) : value;
}

function renderFacets() {
  const groups = Object.entries(search.facets).filter(([, buckets]) => buckets.length);
  put($("#search-facets"), groups.map(([name, buckets]) => {
    const picked = search.picked[name] || [];
    return h("fieldset", { class: "facet", "data-testid": "facet", "data-facet": name },
      h("legend", { text: t(`search.facet.${name}`) }),
      buckets.map((b) => h("label", { class: "check" },
        h("input", { type: "checkbox", value: b.value, checked: picked.includes(b.value),
          "data-testid": "facet-value", "data-facet": name, "data-value": b.value,
          onchange: (event) => {
            const now = new Set(search.picked[name] || []);
            if (event.target.checked) now.add(b.value);
            else now.delete(b.value);
            search.picked[name] = [...now];
            runSearch();
          } }),
        ` ${facetLabel(name, b.value)} `, h("span", { class: "muted", text: `(${formatNumber(b.count)})` }))));
  }));
}

function renderResults() {
  if (search.total === null) return;
  renderFacets();
  $("#search-total").textContent = t("search.total", { total: formatNumber(search.total) });
  $("#search-more").hidden = !search.cursor;
  if (!search.hits.length) {
    put($("#search-results"), h("p", { class: "muted", "data-testid": "search-empty", text: t("search.none") }));
    return;
  }
  const tweets = search.target === "tweets";
  const heads = tweets
    ? ["search.col.when", "search.col.who", "search.col.text", "search.col.facts", "search.col.action"]
    : ["search.col.when", "search.col.who", "search.col.case", "search.col.facts", "search.col.action"];
  put($("#search-results"), h("table", { class: "search-hits", "data-testid": "search-hits" },
    h("thead", {}, h("tr", {}, heads.map((k) => h("th", { scope: "col", text: t(k) })))),
    h("tbody", {}, search.hits.map((hit) => (tweets ? tweetRow(hit) : caseRow(hit))))));
}

function facts(values) {
  return h("ul", { class: "hit-facts" }, values.filter(Boolean).map((v) => h("li", { class: "badge", text: v })));
}

function tweetRow(tw) {
  const inbound = tw.direction !== "outbound";
  return h("tr", { "data-testid": "search-hit", "data-tweet-id": tw.tweet_id, "data-lang": tw.lang || "",
    "data-queue": tw.queue || "", "data-created": tw.created_at, "data-direction": tw.direction || "",
    "data-channel": tw.channel || "" },
  h("td", { class: "when" }, h("time", { datetime: tw.created_at, text: formatTime(tw.created_at) })),
  h("td", {}, tw.author ? `${tw.author.name || ""} @${tw.author.handle || tw.author.id}` : ""),
  h("td", { class: "text", lang: tw.lang || null, text: tw.text || "" }),
  h("td", {}, facts([tw.queue, tv("topic", tw.topic), tw.lang, tw.found_via,
    tw.needs_reply ? t("search.needs_reply") : null])),
  h("td", {}, inbound ? h("button", { type: "button", class: "small", "data-testid": "search-open-case",
    "aria-label": `${t("search.open_case")}: ${(tw.text || "").slice(0, 40)}`,
    onclick: () => openFromTweet(tw.tweet_id), text: t("search.open_case") }) : null));
}

function caseRow(c) {
  return h("tr", { "data-testid": "search-hit", "data-case-id": c.case_id, "data-queue": c.queue || "" },
    h("td", { class: "when" }, h("time", { datetime: c.opened_at, text: formatTime(c.opened_at) })),
    h("td", {}, c.customer ? `${c.customer.name || ""} @${c.customer.handle || c.customer.id}` : ""),
    h("td", { class: "mono", text: c.case_id }),
    h("td", {}, facts([c.queue, tv("state", c.state), tv("topic", c.topic), c.lang, c.handle && `@${c.handle}`])),
    h("td", {}, h("button", { type: "button", class: "small", "data-testid": "search-open",
      onclick: () => goToCase(c), text: t("search.open") })));
}

async function goToCase(c) {
  showView("queues");
  if (c.queue) await selectQueue(c.queue);
  await openCase(c.case_id);
}

async function openFromTweet(tweetId) {
  const res = await api("POST", `/v1/tweets/${encodeURIComponent(tweetId)}/case`, {});
  if (res.status === 202) {
    say(t("search.pending"));
    return;
  }
  if (res.status !== 200 || !res.body || !res.body.case) {
    say(errorMessage(res));
    return;
  }
  const c = res.body.case;
  announce(t(res.body.code === "already_open" ? "search.already_open" : "search.opened", { case: c.case_id }));
  await goToCase(c);
}

async function exportSearch() {
  say(t("search.exporting"));
  const done = await download("/v1/search/export", searchBody());
  say(done.ok ? t("search.exported", { file: done.file }) : done.message);
}

async function loadFolders() {
  const res = await api("GET", "/v1/saved-searches");
  if (res.status !== 200) {
    say(errorMessage(res));
    return;
  }
  search.folders = res.body;
  renderFolders();
}

function renderFolders() {
  const list = $("#folder-list");
  if (!list) return;
  if (!search.folders.length) {
    put(list, h("li", { class: "muted", text: t("folders.empty") }));
    return;
  }
  put(list, search.folders.map((f) => {
    const shared = f.visibility === "shared";
    const badge = shared ? (f.queue ? t("folders.shared_queue", { queue: f.queue }) : t("folders.shared"))
      : t("folders.private");
    return h("li", { class: "folder", "data-testid": "folder", "data-folder-id": f.id,
      "data-visibility": shared ? "shared" : "private", "data-queue": f.queue || "" },
    h("span", { class: "folder-name", text: f.name }),
    h("span", { class: `badge ${shared ? "shared" : "zero"}`, "data-testid": "folder-badge", text: badge }),
    h("span", { class: "folder-buttons" },
      h("button", { type: "button", class: "small", "data-testid": "folder-run", text: t("folders.run"),
        "aria-label": t("folders.run_label", { name: f.name }), onclick: () => runFolder(f) }),
      h("button", { type: "button", class: "small", "data-testid": "folder-export", text: t("folders.export"),
        "aria-label": t("folders.export_label", { name: f.name }), onclick: () => exportFolder(f) }),
      f.created_by === state.actor.id
        ? h("button", { type: "button", class: "small", "data-testid": "folder-delete", text: t("folders.delete"),
          "aria-label": t("folders.delete_label", { name: f.name }), onclick: () => deleteFolder(f) })
        : null));
  }));
}

async function saveFolder(event) {
  event.preventDefault();
  const name = $("#folder-name").value.trim();
  if (!name) return;
  const visibility = $("#folder-visibility").value;
  const body = { name, search: searchBody(), visibility };
  if (visibility === "shared" && $("#folder-queue").value) body.queue = $("#folder-queue").value;
  const res = await api("POST", "/v1/saved-searches", body);
  if (res.status !== 201) {
    say(errorMessage(res));
    return;
  }
  $("#folder-name").value = "";
  say(t("folders.saved", { name }));
  await loadFolders();
}

function runFolder(f) {
  const s = f.search || {};
  Object.assign(search, { target: s.target || "tweets", text: s.text || "", sort: s.sort || "newest",
    lang: "", needsReply: "", picked: {} });
  for (const [name, value] of Object.entries(s)) {
    if (["target", "text", "sort", "size", "cursor", "facets", "since", "until"].includes(name)) continue;
    if (name === "needs_reply" && search.target === "tweets") search.needsReply = String(value);
    else search.picked[name] = [].concat(value).map(String);
  }
  buildSearch();
  renderFolders();
  runSearch();
}

async function exportFolder(f) {
  say(t("search.exporting"));
  const done = await download(`/v1/saved-searches/${encodeURIComponent(f.id)}/export.csv`);
  say(done.ok ? t("search.exported", { file: done.file }) : done.message);
}

async function deleteFolder(f) {
  const res = await api("DELETE", `/v1/saved-searches/${encodeURIComponent(f.id)}`);
  if (res.status !== 204) {
    say(errorMessage(res));
    return;
  }
  say(t("folders.deleted", { name: f.name }));
  await loadFolders();
}
