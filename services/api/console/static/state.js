// What the console knows: the signed-in user, the queue and case on screen, every case seen at
// its newest version, and the server's clock as this browser sees it.

export const STORE = { token: "tweetcare.token", lang: "tweetcare.lang", signature: "tweetcare.signature",
  filters: "tweetcare.filters", actor: "tweetcare.actor" };

export const PAGE_SIZE = 100;

const MAX_KNOWN = 5000;

export const state = {
  token: null,
  role: null, // "agent" | "supervisor" (supervisor: may read statistics and transfer)
  actor: { id: null, name: null },
  view: "queues",
  queues: [],
  queue: null,
  rows: [], // case views of the selected queue, in working order
  nextCursor: null,
  openCaseId: null,
  detail: null, // CaseDetail of the open case
  known: new Map(), // case_id -> newest case view seen
  canned: new Map(), // lang -> canned replies
  serverOffsetMs: 0, // server clock minus this browser's clock
  source: null,
  liveAttempt: 0, // the newest connectLive call; an older one that finds it moved on stops
  lastEventId: null, // the id of the last case event received, to resume after a new ticket
  timers: {},
};

export const $ = (selector) => document.querySelector(selector);

export function serverNow() {
  return Date.now() + state.serverOffsetMs;
}

/** Keep `view` unless a newer version is known; answers the view to use. */
export function remember(view) {
  const id = view.case.case_id;
  const known = state.known.get(id);
  if (known && known.case_version > view.case_version) return known;
  state.known.delete(id);
  state.known.set(id, view);
  if (state.known.size > MAX_KNOWN) state.known.delete(state.known.keys().next().value);
  return view;
}
