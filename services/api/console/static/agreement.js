// The report screen's agreement panel: how often agents overturned triage in the period, by label,
// queue, language or the model version that triaged the case (GET /v1/stats/agreement), as bars
// of the overturn rate with the figures in a table. A falling rate for a newer model version is
// the proof that triage learns from its agents. Its strings, EN and JA, are added here.

import { STRINGS, t, formatNumber } from "./i18n.js";
import { api, errorMessage, query } from "./api.js";
import { h, put } from "./dom.js";
import { barChart, table } from "./charts.js";
import { $ } from "./state.js";

Object.assign(STRINGS.en, {
  "agree.title": "Agents overturning triage",
  "agree.by": "By",
  "agree.by.label": "Decision",
  "agree.by.queue": "Queue",
  "agree.by.lang": "Language",
  "agree.by.model_version": "Model version",
  "agree.label.needs_reply": "Needs a reply",
  "agree.label.topic": "Topic",
  "agree.label.sentiment": "Sentiment",
  "agree.label.spam": "Spam",
  "agree.col.agreed": "Agreed",
  "agree.col.overturned": "Overturned",
  "agree.col.rate": "Overturn rate",
  "agree.bar": "{rate} overturned ({overturned} of {total})",
  "agree.caption": "Agents' verdicts on triage's decisions in the period: corrections, 要対応, 対応しない and spam, and cases triage opened that agents resolved. Overturn rate: overturned ÷ all verdicts; a falling rate for a newer model version means triage is learning.",
  "agree.no_data": "No agent verdicts on triage in this period.",
});
Object.assign(STRINGS.ja, {
  "agree.title": "担当者によるトリアージの修正",
  "agree.by": "集計単位",
  "agree.by.label": "判定項目",
  "agree.by.queue": "キュー",
  "agree.by.lang": "言語",
  "agree.by.model_version": "モデルバージョン",
  "agree.label.needs_reply": "要対応",
  "agree.label.topic": "トピック",
  "agree.label.sentiment": "感情",
  "agree.label.spam": "スパム",
  "agree.col.agreed": "同意",
  "agree.col.overturned": "修正",
  "agree.col.rate": "修正率",
  "agree.bar": "修正率 {rate}（{total}件中{overturned}件）",
  "agree.caption": "期間中のトリアージ判定に対する担当者の判断（修正、要対応、対応しない、スパム、トリアージが作成し担当者が解決した案件）。修正率＝修正÷全判断。新しいモデルバージョンで修正率が下がれば、トリアージが学習している証拠です。",
  "agree.no_data": "この期間、トリアージに対する担当者の判断はありません。",
});

const GROUPS = ["label", "queue", "lang", "model_version"];
const panel = { by: "label", rows: null, shownBy: null, asked: 0 };

/** The panel's empty frame, for the report screen to place. */
export function agreementPanel() {
  return h("section", { id: "agreement", class: "agreement", "aria-labelledby": "agree-title",
    "data-testid": "agreement" },
  h("div", { class: "panel-head" },
    h("h3", { id: "agree-title", text: t("agree.title") }),
    h("label", { for: "agree-by" }, h("span", { text: t("agree.by") }), " ",
      h("select", { id: "agree-by", "data-testid": "agree-by",
        onchange: (event) => { panel.by = event.target.value; loadAgreement(panel.range); } },
      GROUPS.map((g) => h("option", { value: g, text: t(`agree.by.${g}`), selected: g === panel.by }))))),
  h("p", { id: "agree-message", class: "message", role: "alert", "data-testid": "agree-message" }),
  h("div", { id: "agree-chart", class: "chart" }));
}

/** Ask for the verdicts of `range` ({since, until}) by the chosen grouping and draw them. */
export async function loadAgreement(range) {
  panel.range = range;
  const asked = ++panel.asked;
  const by = panel.by;
  const got = await api("GET", `/v1/stats/agreement?${query({ since: range.since, until: range.until, by })}`);
  if (asked !== panel.asked || !$("#agreement")) return; // a newer load is on its way, or gone
  $("#agree-message").textContent = got.status === 200 ? "" : errorMessage(got);
  panel.rows = got.status === 200 ? got.body : null;
  panel.shownBy = by;
  renderAgreement();
}

const percent = (v) => (v === null || v === undefined ? "—"
  : formatNumber(v, { style: "percent", maximumFractionDigits: 1 }));

/** A group's name as the screen shows it: a decision's in the UI's language, others as they are. */
function groupName(by, group) {
  return by === "label" ? t(`agree.label.${group}`) : group;
}

export function renderAgreement() {
  const box = $("#agree-chart");
  if (!box || panel.rows === null) return;
  const by = panel.shownBy;
  if (!panel.rows.length) {
    put(box, h("p", { class: "muted", "data-testid": "agree-empty", text: t("agree.no_data") }));
    return;
  }
  const rows = panel.rows.map((r) => ({ ...r, name: groupName(by, r.group), total: r.agreed + r.overturned }));
  const bars = barChart("agree-title", rows.map((r) => ({ label: r.name, bars: [{ value: r.overturn_rate,
    cls: "overturn", text: t("agree.bar", { rate: percent(r.overturn_rate), overturned: formatNumber(r.overturned),
      total: formatNumber(r.total) }) }] })), 1, { track: true });
  const figures = table([t(`agree.by.${by}`), t("agree.col.agreed"), t("agree.col.overturned"), t("agree.col.rate")],
    rows.map((r) => [r.name, formatNumber(r.agreed), formatNumber(r.overturned), percent(r.overturn_rate)]));
  figures.setAttribute("data-testid", "agree-table");
  figures.querySelectorAll("tbody tr").forEach((tr, i) => {
    tr.setAttribute("data-group", rows[i].group);
    tr.setAttribute("data-rate", rows[i].overturn_rate === null ? "" : String(rows[i].overturn_rate));
  });
  put(box, bars, h("p", { class: "muted", text: t("agree.caption") }), figures);
}
