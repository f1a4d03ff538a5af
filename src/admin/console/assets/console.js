// mamori audit console: the only script. Asks before destructive forms
// (those with data-confirm). Loaded from 'self' under a strict CSP; no inline code.
"use strict";
document.addEventListener("submit", function (e) {
  var f = e.target;
  if (f instanceof HTMLFormElement && f.dataset.confirm && !window.confirm(f.dataset.confirm)) {
    e.preventDefault();
  }
});
