// The campaign page polls its status section until the run and the campaign are final.
(function () {
  "use strict";
  const box = document.getElementById("status");
  async function poll() {
    const body = document.getElementById("status-body");
    if (body && body.dataset.final === "1") return;
    try {
      const resp = await fetch(box.dataset.url);
      if (resp.ok) box.innerHTML = await resp.text();
    } catch (e) { /* the server restarts: try again */ }
    setTimeout(poll, 2000);
  }
  setTimeout(poll, 2000);
})();
