// The reply composer: canned replies with their variables, the signature, the channel, the
// handle it goes from (the case's, or another of the brand's), and the weight X counts (public
// replies stop at 280).

import { t } from "./i18n.js";
import { act } from "./actions.js";
import { api, query } from "./api.js";
import { openView } from "./caseview.js";
import { h } from "./dom.js";
import { MAX_TWEET_WEIGHT, weightedLength } from "./mirror.js";
import { STORE, state, $ } from "./state.js";

function composed() {
  const text = $("#reply-text").value.trim();
  const signature = $("#reply-signature").value.trim();
  return signature && text ? `${text} ^${signature}` : text;
}

export function renderComposer(view) {
  const box = $("#case-composer");
  if (box.dataset.caseId !== view.case.case_id || box.dataset.channel !== view.case.channel) {
    buildComposer(view.case);
  }
  const form = $("#reply-form");
  form.hidden = !view.open;
  $("#note-form").hidden = false;
}

function buildComposer(c) {
  const box = $("#case-composer");
  box.dataset.caseId = c.case_id;
  box.dataset.channel = c.channel;
  const dmCase = c.channel === "dm";
  const channels = dmCase ? ["dm"] : ["public", "dm"];
  const reply = h("form", { id: "reply-form", class: "composer", "data-testid": "reply-form",
    "aria-labelledby": "reply-title", onsubmit: sendReply },
  h("h3", { id: "reply-title", text: t("reply.title") }),
  h("div", { class: "row" },
    h("label", { for: "canned-select", text: t("reply.canned") }),
    h("select", { id: "canned-select", "data-testid": "canned-select", onchange: pickCanned },
      h("option", { value: "", text: t("reply.canned.none") }))),
  h("label", { for: "reply-text", text: t("reply.text") }),
  h("textarea", { id: "reply-text", rows: 4, "data-testid": "reply-text", maxlength: 10000,
    "aria-describedby": "char-count", oninput: updateCount }),
  h("div", { class: "row" },
    h("label", { for: "reply-signature", text: t("reply.signature") }),
    h("input", { id: "reply-signature", "data-testid": "reply-signature", maxlength: 30,
      value: localStorage.getItem(STORE.signature) || "", "aria-describedby": "signature-hint",
      oninput: (event) => { localStorage.setItem(STORE.signature, event.target.value); updateCount(); } }),
    h("span", { id: "signature-hint", class: "muted", text: t("reply.signature.hint") })),
  h("fieldset", { class: "channels", "data-testid": "reply-channels" },
    h("legend", { text: t("reply.channel") }),
    channels.map((channel) => h("label", { class: "radio" },
      h("input", { type: "radio", name: "channel", value: channel, checked: channel === c.channel,
        "data-testid": `channel-${channel}`, onchange: () => { syncHandle(); updateCount(); } }),
      t(`reply.channel.${channel}`)))),
  h("div", { class: "row" },
    h("label", { for: "reply-handle", text: t("reply.handle") }),
    h("select", { id: "reply-handle", "data-testid": "reply-handle", "data-case-handle": c.handle,
      "aria-describedby": "reply-handle-hint" },
    h("option", { value: c.handle, text: `@${c.handle}` })),
    h("span", { id: "reply-handle-hint", class: "muted", "data-testid": "reply-handle-hint",
      text: t("reply.handle.dm") })),
  dmCase ? h("p", { class: "note-dm", "data-testid": "dm-only", text: t("reply.dm_only") }) : null,
  h("div", { class: "row send" },
    h("span", { id: "char-count", class: "char-count", "data-testid": "char-count" }),
    h("button", { type: "submit", class: "primary", "data-testid": "reply-send" }, t("reply.send"))));
  const note = h("form", { id: "note-form", class: "composer note-form", "data-testid": "note-form",
    onsubmit: async (event) => {
      event.preventDefault();
      const text = $("#note-text").value.trim();
      if (!text) return;
      const res = await act("note", { text });
      if (res && res.status === 200) $("#note-text").value = "";
    } },
  h("label", { for: "note-text", text: t("actions.note_label") }),
  // The case history keeps 500 characters of a note (services/sla/actions.py), so no more.
  h("textarea", { id: "note-text", rows: 2, maxlength: 500, "data-testid": "note-text" }),
  h("button", { type: "submit", "data-testid": "note-add" }, t("actions.note")));
  box.replaceChildren(reply, note);
  fillCanned(c.lang);
  syncHandle();
  updateCount();
  loadHandles(c);
}

// The brand's handles (GET /v1/brands/{brand}/handles), asked once per brand per page.
const brandHandles = new Map();

async function loadHandles(c) {
  if (!brandHandles.has(c.brand)) {
    const res = await api("GET", `/v1/brands/${encodeURIComponent(c.brand)}/handles`);
    if (res.status !== 200) return; // the case's own handle stays the one choice
    brandHandles.set(c.brand, res.body.handles.map((x) => x.handle));
  }
  const select = $("#reply-handle");
  if (!select || $("#case-composer").dataset.caseId !== c.case_id) return; // moved on meanwhile
  const chosen = select.value;
  const same = (a, b) => a.toLowerCase() === b.toLowerCase();
  const others = brandHandles.get(c.brand).filter((x) => !same(x, c.handle));
  select.replaceChildren(...[c.handle, ...others].map((x) => h("option", { value: x, text: `@${x}` })));
  select.value = chosen;
  select.dataset.filled = c.brand;
}

// A DM goes from the case's handle only (the customer's conversation is with that account).
function syncHandle() {
  const select = $("#reply-handle");
  if (!select) return;
  const dm = selectedChannel() === "dm";
  if (dm) select.value = select.dataset.caseHandle;
  select.disabled = dm;
  $("#reply-handle-hint").hidden = !dm;
}

function selectedChannel() {
  const checked = document.querySelector('#reply-form input[name="channel"]:checked');
  return checked ? checked.value : "public";
}

function updateCount() {
  const count = $("#char-count");
  if (!count) return;
  const used = weightedLength(composed());
  const publicPost = selectedChannel() === "public";
  const over = publicPost && used > MAX_TWEET_WEIGHT;
  count.textContent = publicPost
    ? t("reply.count", { used, limit: MAX_TWEET_WEIGHT }) : t("reply.count_dm", { used });
  if (over) count.textContent += ` — ${t("reply.too_long", { used, limit: MAX_TWEET_WEIGHT })}`;
  count.dataset.weight = String(used);
  count.classList.toggle("over", over);
  $('#reply-form [data-testid="reply-send"]').disabled = over || used === 0;
}

export async function loadCanned(caseLang) {
  const key = caseLang || "*";
  if (!state.canned.has(key)) {
    const res = await api("GET", `/v1/canned-replies${caseLang ? `?${query({ lang: caseLang })}` : ""}`);
    if (res.status !== 200) return;
    state.canned.set(key, res.body.slice().sort((a, b) => a.name.localeCompare(b.name)));
  }
  fillCanned(caseLang);
}

function fillCanned(caseLang) {
  const select = $("#canned-select");
  const replies = state.canned.get(caseLang || "*");
  if (!select || !replies || select.dataset.filled === (caseLang || "*")) return;
  select.dataset.filled = caseLang || "*";
  select.replaceChildren(h("option", { value: "", text: t("reply.canned.none") }),
    ...replies.map((r) => h("option", { value: r.id, "data-lang": r.lang, text: r.name })));
}

function render(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? values[name] : whole));
}

function pickCanned(event) {
  const view = openView();
  const replies = state.canned.get((view && view.case.lang) || "*") || [];
  const chosen = replies.find((r) => r.id === event.target.value);
  const textarea = $("#reply-text");
  if (!chosen || !view) {
    delete textarea.dataset.cannedId;
    return;
  }
  const c = view.case;
  const text = render(chosen.text, {
    customer_name: c.customer.name || c.customer.handle || "", customer_handle: c.customer.handle || "",
    agent_name: state.actor.name || "", brand: c.brand, case_id: c.case_id,
  });
  textarea.value = text;
  textarea.dataset.cannedId = chosen.id;
  textarea.dataset.cannedText = text;
  updateCount();
}

// One key per reply being sent (the Idempotency-Key header): kept while its outcome is unknown
// (202 pending, a 5xx, no answer), so sending again is the same reply and never posts twice; a
// definite answer (applied, or refused with a code) ends it, and the next reply gets a new key.
let replyKey = null;

function keyFor(caseId) {
  if (!replyKey || replyKey.caseId !== caseId) {
    const key = crypto.randomUUID ? crypto.randomUUID()  // (only in a secure context: fall back)
      : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    replyKey = { caseId, key };
  }
  return replyKey.key;
}

async function sendReply(event) {
  event.preventDefault();
  const textarea = $("#reply-text");
  const signature = $("#reply-signature").value.trim() || null;
  const channel = selectedChannel();
  const handle = $("#reply-handle").value;
  // Unchanged canned text goes by id, so the API fills its variables with what it knows.
  const body = textarea.dataset.cannedId && textarea.value === textarea.dataset.cannedText
    ? { canned_id: textarea.dataset.cannedId, signature, channel, handle }
    : { text: textarea.value.trim(), signature, channel, handle };
  const res = await act("reply", body, { "Idempotency-Key": keyFor(state.openCaseId) });
  if (res && res.status >= 200 && res.status < 500 && res.status !== 202) replyKey = null;
  if (res && res.status === 200) {
    textarea.value = "";
    delete textarea.dataset.cannedId;
    $("#canned-select").value = "";
    updateCount();
  }
}
