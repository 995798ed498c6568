// Move to DM: on a public case whose thread holds personal data (triage's `pii` or `move_to_dm`
// on a tweet), the composer is offered the public nudge in the case's language with X's DM
// link to the brand's handle (https://twitter.com/messages/compose?recipient_id=<user id>).
// The handle's X user id is the author id of its own tweets: from the thread, else from the
// read model (its newest outbound tweet). A public reply that repeats the data is still the
// API's to refuse (pii_in_public_reply).

import { NUDGE } from "./screen-strings.js";
import { t } from "./i18n.js";
import { api } from "./api.js";
import { h } from "./dom.js";
import { state, $ } from "./state.js";

const known = new Map(); // lower-case handle -> X user id
const missed = new Map(); // lower-case handle -> when the read model had none (asked again after a minute)

export function dmLink(userId) {
  return `https://twitter.com/messages/compose?recipient_id=${encodeURIComponent(userId)}`;
}

/** The nudge text for a case in `lang` (English for any other), with the link when known. */
export function nudgeText(lang, userId) {
  const texts = NUDGE[lang] || NUDGE.en;
  return userId ? texts.link.replace("{link}", dmLink(userId)) : texts.plain;
}

function fromThread(handle) {
  for (const tweet of (state.detail && state.detail.tweets) || []) {
    if (tweet.direction === "outbound" && tweet.author && tweet.author.id
        && (tweet.author.handle || "").toLowerCase() === handle) return tweet.author.id;
  }
  return null;
}

async function brandUserId(handle) {
  const key = handle.toLowerCase();
  const seen = known.get(key) || fromThread(key);
  if (seen) {
    known.set(key, seen);
    return seen;
  }
  if (Date.now() - (missed.get(key) || -Infinity) < 60_000) return null;
  const res = await api("POST", "/v1/search", { target: "tweets", direction: "outbound", handle: [handle],
    size: 1, facets: [] });
  const hit = res.status === 200 && res.body.hits[0];
  if (hit && hit.author && hit.author.id) known.set(key, hit.author.id);
  else missed.set(key, Date.now());
  return known.get(key) || null;
}

/** The offer for the case on screen, or null when it has no personal data in public. */
export function dmNudge(view, tweets) {
  const c = view && view.case;
  const flagged = tweets.some((tw) => (tw.pii && tw.pii.length) || tw.move_to_dm);
  if (!c || c.channel === "dm" || !flagged) return null;
  const handle = c.handle;
  const link = h("a", { "data-testid": "dm-link", target: "_blank", rel: "noopener noreferrer", hidden: true,
    text: t("nudge.link", { handle }) });
  const note = h("p", { class: "muted", "data-testid": "dm-no-id", hidden: true, text: t("nudge.no_id", { handle }) });
  const box = h("div", { class: "warning dm-nudge", role: "note", "data-testid": "dm-nudge" },
    h("strong", { text: t("nudge.title") }), " ", t("nudge.why", { handle }), " ", link, note,
    h("div", {}, h("button", { type: "button", class: "small", "data-testid": "dm-nudge-insert",
      text: t("nudge.insert"), onclick: () => insert(c, link) })));
  brandUserId(handle).then((id) => {
    if (id) {
      link.href = dmLink(id);
      link.hidden = false;
    } else {
      note.hidden = false;
    }
  });
  return box;
}

async function insert(c, link) {
  const textarea = $("#reply-text");
  if (!textarea) return;
  const id = await brandUserId(c.handle);
  if (id) link.href = dmLink(id);
  textarea.value = nudgeText(c.lang, id);
  delete textarea.dataset.cannedId;
  const publicChannel = document.querySelector('#reply-form input[name="channel"][value="public"]');
  if (publicChannel) publicChannel.checked = true;
  textarea.dispatchEvent(new Event("input"));
  textarea.focus();
}
