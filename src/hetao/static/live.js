// The officer's console and the gate screen, live. Each decision the server commits arrives
// over Server-Sent Events as a fragment the server rendered and escaped as it renders the page;
// it is parsed in an inert document (nothing in it runs) and put on top. Without this script
// the pages work the same, with a refresh link (and the gate screen reloads itself).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const target = document.querySelector("[data-stream]");
  if (!target || !window.EventSource) {
    return;
  }
  const state = document.getElementById("live-state");
  const show = (text) => {
    if (state && text) {
      state.textContent = text;
      state.hidden = false;
    }
  };
  // A long list would grow without end on a screen left open all day.
  const MAX_ROWS = 200;
  const FRESH_MS = 4000;
  const body = target.querySelector("tbody");

  const parsed = (html, selector) => {
    const wrapped = body ? `<table><tbody>${html}</tbody></table>` : html;
    const found = new DOMParser().parseFromString(wrapped, "text/html").querySelector(selector);
    return found ? document.adoptNode(found) : null;
  };

  const addRow = (html) => {
    const row = parsed(html, "tr[data-decision]");
    if (!row || body.querySelector(`tr[data-decision="${row.dataset.decision}"]`)) {
      return;
    }
    row.classList.add("fresh");
    body.prepend(row);
    window.setTimeout(() => row.classList.remove("fresh"), FRESH_MS);
    document.getElementById("no-crossings")?.remove();
    while (body.rows.length > MAX_ROWS) {
      body.lastElementChild.remove();
    }
  };

  const showPanel = (html) => {
    const panel = parsed(html, ".kiosk-panel");
    if (panel) {
      target.replaceChildren(panel);
    }
  };

  const source = new EventSource(target.dataset.stream);
  source.addEventListener("open", () => show(state?.dataset.live));
  source.addEventListener("error", () => show(state?.dataset.lost));
  source.addEventListener("crossing", (event) => (body ? addRow : showPanel)(event.data));
});
