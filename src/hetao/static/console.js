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
