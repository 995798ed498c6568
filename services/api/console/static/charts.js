// Supervisor view: statistics as inline SVG charts, each with its figures in a table.

import { t, lang, duration, formatNumber } from "./i18n.js";
import { api, errorMessage, query } from "./api.js";
import { h, s } from "./dom.js";
import { state, $ } from "./state.js";

export async function loadSupervisor() {
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

export function renderSupervisor() {
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

export function table(headers, rows) {
  return h("table", { class: "figures-table" },
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col", text: x })))),
    h("tbody", {}, rows.map((row) => h("tr", {}, row.map((cell) => h("td", { text: String(cell) }))))));
}

/** Horizontal bars; `track` draws the whole scale behind each bar (for shares of 100%). */
export function barChart(titleId, rows, max, { track = false } = {}) {
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
