// Keyboard: j/k move, c claim, r reply, e resolve, ? help, Esc leaves a field.

import { act } from "./actions.js";
import { openView } from "./caseview.js";
import { moveSelection } from "./queue.js";
import { state, $ } from "./state.js";

export function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey || !state.token) return;
  const target = event.target;
  const typing = target.closest && target.closest("input, textarea, select, [contenteditable]");
  if (typing) {
    if (event.key === "Escape") target.blur();
    return;
  }
  if ($("#help").open) return;
  if (event.key === "?") {
    event.preventDefault();
    $("#help").showModal();
    return;
  }
  if (state.view !== "queues") return;
  const view = openView();
  switch (event.key) {
    case "j": moveSelection(1); break;
    case "k": moveSelection(-1); break;
    case "c": if (view) act("claim", {}); break;
    case "e": if (view) act("resolve", {}); break;
    case "r":
      if (view && $("#reply-text")) {
        event.preventDefault();
        $("#reply-text").focus();
      }
      break;
    default: return;
  }
}
