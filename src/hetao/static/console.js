// Conveniences only: every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // After a refused form, take keyboard and screen-reader users to what needs correcting.
  const summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
  // Ask before a form that acts on something (approve, revoke...) is sent twice.
  for (const form of document.querySelectorAll("form[data-once]")) {
    form.addEventListener("submit", () => {
      for (const button of form.querySelectorAll("button[type=submit]")) {
        button.disabled = true;
      }
    });
  }
});

// --- declarations: HS code suggestions ---------------------------------------------------
// Fills the form's <datalist> from the HS look-up as a code or words are typed; without this
// script the field is a plain input and the HS codes page (/portal/hs) does the same search.
document.addEventListener("DOMContentLoaded", () => {
  const list = document.getElementById("hs-suggestions");
  if (!list) {
    return;
  }
  const base = document.querySelector("link[rel=stylesheet]").href.replace(/\/static\/console\/.*$/, "");
  let timer = null;
  let last = "";
  const fill = async (query) => {
    const response = await fetch(`${base}/portal/hs/suggestions?q=${encodeURIComponent(query)}`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!response.ok) {
      return;
    }
    const found = await response.json();
    list.replaceChildren(
      ...found.map((entry) => {
        const option = document.createElement("option");
        option.value = entry.code;
        // On a Chinese page a suggestion also carries its chapter's Chinese title.
        const chapter = entry.chapter_zh ? ` · ${entry.chapter_zh}` : "";
        option.label = `${entry.code} ${entry.description}${chapter}`;
        return option;
      }),
    );
  };
  for (const input of document.querySelectorAll("input[data-hs-suggest]")) {
    input.addEventListener("input", () => {
      const query = input.value.trim();
      if (query.length < 2 || query === last) {
        return;
      }
      last = query;
      clearTimeout(timer);
      timer = setTimeout(() => fill(query).catch(() => {}), 250);
    });
  }
});
