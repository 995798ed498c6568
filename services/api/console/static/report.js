// The report screen (supervisors): support rate, resolution rate, first-response p50/p90 and
// SLA attainment over the period and by queue, brand, handle or agent (GET /v1/stats/cases with
// group_by=all and by the chosen grouping), with the figures as the API's CSV
// (GET /v1/stats/cases.csv) to download; below them, how often agents overturned triage
// (agreement.js).

import "./screen-strings.js";
import { t, duration, formatNumber } from "./i18n.js";
import { api, errorMessage, query } from "./api.js";
import { h, put } from "./dom.js";
import { download } from "./download.js";
import { agreementPanel, loadAgreement, renderAgreement } from "./agreement.js";
import { $ } from "./state.js";

const WINDOWS = { day: 1, week: 7, month: 30 };
const GROUPS = ["queue", "brand", "handle", "agent"];
const report = { window: "week", by: "queue", totals: null, rows: null, built: false, asked: 0 };

function range() {
  const until = new Date();
  const since = new Date(until.getTime() - WINDOWS[report.window] * 86400_000);
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  return { since: since.toISOString(), until: until.toISOString(), tz };
}

export function showReport() {
  if (!report.built) buildReport();
  loadReport();
}

export function renderReport() {
  if (!report.built) return;
  buildReport();
  renderFigures();
  renderAgreement();
}

function choice(id, label, value, options, onchange) {
  return h("label", { for: id }, h("span", { text: label }), " ",
    h("select", { id, "data-testid": id, onchange },
      options.map(([v, text]) => h("option", { value: v, text, selected: v === value }))));
}

function buildReport() {
  report.built = true;
  put($("#report-view"),
    h("div", { class: "panel-head" },
      h("h2", { id: "report-title", text: t("report.title") }),
      choice("report-window", t("report.window"), report.window,
        Object.keys(WINDOWS).map((w) => [w, t(`report.window.${w}`)]),
        (event) => { report.window = event.target.value; loadReport(); }),
      choice("report-by", t("report.by"), report.by, GROUPS.map((g) => [g, t(`report.by.${g}`)]),
        (event) => { report.by = event.target.value; loadReport(); }),
      h("button", { type: "button", class: "small", "data-testid": "report-refresh", onclick: loadReport,
        text: t("report.refresh") }),
      h("button", { type: "button", class: "small", "data-testid": "report-download", onclick: downloadReport,
        text: t("report.download") })),
    h("p", { id: "report-message", class: "message", role: "alert", "data-testid": "report-message" }),
    h("div", { id: "report-summary", class: "report-summary", "data-testid": "report-summary" }),
    h("div", { id: "report-table", class: "table-wrap" }),
    agreementPanel());
}

export async function loadReport() {
  if (!report.built) return;
  const asked = ++report.asked;
  const params = range();
  loadAgreement(params);
  const [totals, rows] = await Promise.all([
    api("GET", `/v1/stats/cases?${query({ ...params, group_by: "all" })}`),
    api("GET", `/v1/stats/cases?${query({ ...params, group_by: report.by })}`),
  ]);
  if (asked !== report.asked) return; // a newer load is on its way
  const message = $("#report-message");
  message.textContent = "";
  if (totals.status === 403 || rows.status === 403) {
    message.textContent = t("report.forbidden");
    return;
  }
  if (totals.status !== 200 || rows.status !== 200) {
    message.textContent = errorMessage(totals.status !== 200 ? totals : rows);
    return;
  }
  report.totals = totals.body[0] || null;
  report.rows = rows.body;
  report.shownBy = report.by;
  renderFigures();
}

const percent = (v) => (v === null || v === undefined ? "—"
  : formatNumber(v, { style: "percent", maximumFractionDigits: 1 }));
const secs = (v) => (v === null || v === undefined ? "—" : duration(v));

const FIGURES = [
  { key: "support_rate", label: "report.summary.support", show: percent },
  { key: "resolution_rate", label: "report.summary.resolution", show: percent },
  { key: "first_response_p50", label: "report.summary.p50", show: secs },
  { key: "first_response_p90", label: "report.summary.p90", show: secs },
  { key: "sla_attainment", label: "report.summary.attainment", show: percent },
];

function renderFigures() {
  if (report.rows === null) return;
  const all = report.totals;
  put($("#report-summary"), all
    ? h("dl", { class: "tiles" }, FIGURES.map((f) => h("div", { class: "tile", "data-testid": `report-${f.key}`,
      "data-value": all[f.key] === null ? "" : String(all[f.key]) },
    h("dt", { text: t(f.label) }), h("dd", { text: f.show(all[f.key]) }))),
    h("p", { class: "muted", "data-testid": "report-counts", "data-replied": all.replied,
      "data-needs-reply": all.needs_reply,
      text: `${t("report.col.cases")} ${formatNumber(all.cases)} · ${t("report.col.needs_reply")} `
        + `${formatNumber(all.needs_reply)} · ${t("report.col.replied")} ${formatNumber(all.replied)} · `
        + `${t("report.col.resolved")} ${formatNumber(all.resolved)}` }))
    : h("p", { class: "muted", "data-testid": "report-empty", text: t("report.no_data") }));
  const cols = [
    ["cases", "report.col.cases", formatNumber], ["needs_reply", "report.col.needs_reply", formatNumber],
    ["replied", "report.col.replied", formatNumber], ["resolved", "report.col.resolved", formatNumber],
    ["support_rate", "report.col.support", percent], ["resolution_rate", "report.col.resolution", percent],
    ["first_response_p50", "report.col.p50", secs], ["first_response_p90", "report.col.p90", secs],
    ["sla_attainment", "report.col.attainment", percent],
  ];
  const by = report.shownBy || report.by;
  put($("#report-table"), report.rows.length ? h("table", { class: "report-table", "data-testid": "report-table" },
    h("caption", { text: t("report.caption") }),
    h("thead", {}, h("tr", {}, h("th", { scope: "col", text: t(`report.by.${by}`) }),
      cols.map(([, label]) => h("th", { scope: "col", text: t(label) })))),
    h("tbody", {}, report.rows.map((row) => h("tr", { "data-testid": "report-row", "data-group": row.group,
      "data-support-rate": row.support_rate === null ? "" : String(row.support_rate), "data-replied": row.replied },
    h("th", { scope: "row", text: row.group }),
    cols.map(([key, , show]) => h("td", { "data-key": key, text: show(row[key]) }))))))
    : null);
}

async function downloadReport() {
  const done = await download(`/v1/stats/cases.csv?${query({ ...range(), group_by: report.by })}`);
  $("#report-message").textContent = done.ok ? "" : done.message;
}
