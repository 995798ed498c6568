// Actions on the open case (claim, release, resolve, no-reply, transfer, note, reply) and
// their outcomes: applied, rejected with the API's message, or pending and polled.

import { t } from "./i18n.js";
import { api, errorMessage } from "./api.js";
import { loadDetail } from "./caseview.js";
import { h, debounce } from "./dom.js";
import { applyView } from "./live.js";
import { viewOfCase } from "./mirror.js";
import { learnActor } from "./session.js";
import { state, $ } from "./state.js";

export function buildActions() {
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

export function updateActions(view) {
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

export async function act(kind, body, headers = {}) {
  const caseId = state.openCaseId;
  if (!caseId) return null;
  const status = $("#case-status");
  status.dataset.status = "sending";
  status.textContent = t("actions.sending");
  const res = await api("POST", `/v1/cases/${encodeURIComponent(caseId)}/${kind}`, body, { headers });
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
