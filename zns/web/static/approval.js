// The campaign page's approval section: loaded at once, then polled until the run is final.
// Replaced only when its state changes, so a note being typed is never wiped.
(function () {
  "use strict";
  const box = document.getElementById("approval");
  if (!box) return;
  async function load() {
    try {
      const resp = await fetch(box.dataset.url);
      if (resp.ok) {
        const holder = document.createElement("div");
        holder.innerHTML = await resp.text();
        const next = holder.querySelector("#approval-body");
        const current = document.getElementById("approval-body");
        if (next && (!current || current.dataset.key !== next.dataset.key || current.dataset.final !== next.dataset.final)) {
          box.replaceChildren(next);
        }
        if (next && next.dataset.final === "1") return;
      }
    } catch (e) { /* the server restarts: try again */ }
    setTimeout(load, 2000);
  }
  load();
})();
