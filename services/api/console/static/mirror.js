// What the console computes as the server does, on its own: a case's view (the read model's
// CaseView, services/api/cases/view.py and readmodel/documents.py), the working order of a
// queue (services/api/queues/service.py) and the weight X counts for a reply
// (services/api/cases/replies.py). Pure: no DOM, no state, so tests run it beside the server's
// code on one table of cases (tests/unit/api/test_console_agrees.py).

const CLOSED = new Set(["resolved", "closed_no_reply", "spam"]);

const PRIORITY_RANK = { P1: 1, P2: 2, P3: 3, P4: 4 };

export const MAX_TWEET_WEIGHT = 280;

export function viewOfCase(c, version) {
  const open = !CLOSED.has(c.state);
  const due = c.clocks.filter((k) => k.status === "running" && k.due_at).map((k) => k.due_at);
  due.sort((a, b) => Date.parse(a) - Date.parse(b));
  const breached = open && c.clocks.some((k) => k.status === "breached" && !k.met_at);
  const warned = open && !breached
    && c.clocks.some((k) => k.status === "running" && k.warnings_fired.length > 0);
  return {
    case: c, case_version: version, open, next_due_at: due[0] || null, breached, warned,
    first_response_seconds: c.first_response_at
      ? (Date.parse(c.first_response_at) - Date.parse(c.opened_at)) / 1000 : null,
  };
}

export function workingOrder(a, b) {
  if (a.breached !== b.breached) return a.breached ? -1 : 1;
  const dueA = a.next_due_at ? Date.parse(a.next_due_at) : Infinity;
  const dueB = b.next_due_at ? Date.parse(b.next_due_at) : Infinity;
  if (dueA !== dueB) return dueA < dueB ? -1 : 1;
  const prio = PRIORITY_RANK[a.case.priority] - PRIORITY_RANK[b.case.priority];
  if (prio) return prio;
  const opened = Date.parse(a.case.opened_at) - Date.parse(b.case.opened_at);
  if (opened) return opened;
  return a.case.case_id < b.case.case_id ? -1 : a.case.case_id > b.case.case_id ? 1 : 0;
}

/** The weight X counts for `text`: URLs 23, most Latin 1, CJK and other scripts 2
 * (services/api/cases/replies.py, the same ranges). */
export function weightedLength(text) {
  const light = [[0, 4351], [8192, 8205], [8208, 8223], [8242, 8247]];
  const urls = text.match(/https?:\/\/\S+/g) || [];
  let total = urls.length * 23;
  for (const ch of text.replace(/https?:\/\/\S+/g, "")) {
    const cp = ch.codePointAt(0);
    total += light.some(([lo, hi]) => cp >= lo && cp <= hi) ? 1 : 2;
  }
  return total;
}
