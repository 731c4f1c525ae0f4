// The campaign page: upload (file input or drag and drop), refresh the server-rendered sections on
// every change, add grid rows, submit. All rules run on the server; this file only moves data.
(function () {
  "use strict";
  const form = document.getElementById("campaign-form");
  const dynamic = document.getElementById("dynamic");
  const uploadBox = document.getElementById("upload-box");
  const csrf = document.querySelector("meta[name=csrf]").content;
  let seq = 0;
  let applying = false;  // removing a focused, edited input fires "change" mid-replacement: ignore it
  let confirming = false;  // the confirmation stays open across refreshes (a blur after typing refreshes)

  function placeUploadBox() {
    const slot = document.getElementById("upload-slot");
    if (slot) { slot.appendChild(uploadBox); uploadBox.hidden = false; }
    else { uploadBox.hidden = true; document.body.appendChild(uploadBox); }
  }

  async function refresh() {
    const mine = ++seq;
    document.body.dataset.busy = "1";
    const sent = new FormData(form);
    try {
      const resp = await fetch("/api/refresh", {
        method: "POST", body: new URLSearchParams(sent), headers: { "X-CSRF-Token": csrf },
      });
      const html = await resp.text();
      if (mine !== seq) return;
      const focused = document.activeElement && document.activeElement.name;
      const typed = typedSince(sent);
      applying = true;
      try {
        document.body.appendChild(uploadBox);  // keep the file input out of the replaced region
        dynamic.innerHTML = resp.ok ? html : "<p class='error'>" + html.replace(/</g, "&lt;") + "</p>";
        placeUploadBox();
        if (confirming) confirmStep(true, false);  // re-rendered with the new count and cost
      } finally { applying = false; }
      if (focused) { const el = form.elements.namedItem(focused); if (el && el.focus) el.focus(); }
      if (restoreTyped(typed)) setTimeout(refresh, 0);
    } finally {
      if (mine === seq) { document.body.dataset.busy = "0"; document.body.dataset.refreshed = String(mine); }
    }
  }

  // Text typed while a refresh was in flight is not in its answer: keep it, then refresh again.
  function typedSince(sent) {
    const typed = {};
    dynamic.querySelectorAll("input").forEach(function (el) {
      if (!el.name || ["radio", "checkbox", "hidden", "file"].includes(el.type)) return;
      if (el.value !== (sent.get(el.name) || "")) typed[el.name] = el.value;
    });
    return typed;
  }

  function restoreTyped(typed) {
    let changed = false;
    Object.keys(typed).forEach(function (name) {
      const el = form.elements.namedItem(name);
      if (el && el.value !== typed[name]) { el.value = typed[name]; changed = true; }
    });
    return changed;
  }

  async function upload(file) {
    const status = document.getElementById("upload-status");
    const error = document.getElementById("upload-error");
    error.hidden = true; status.textContent = "Đang tải lên " + file.name + " …";
    document.body.dataset.busy = "1";
    const body = new FormData(); body.append("file", file);
    try {
      const resp = await fetch("/api/uploads", { method: "POST", body, headers: { "X-CSRF-Token": csrf } });
      const data = await resp.json();
      if (!resp.ok) {
        error.hidden = false; error.dataset.code = data.error.code;
        error.textContent = data.error.message + " (" + data.error.code + ")"; status.textContent = "";
        document.body.dataset.busy = "0";
        return;
      }
      document.getElementById("upload_id").value = data.upload_id;
      document.getElementById("upload_name").value = data.name;
      status.textContent = "";
    } catch (e) {
      document.body.dataset.busy = "0";
      throw e;
    }
    await refresh();
  }

  // "Gửi ngay" first shows what will go (count, cost, time); only "Xác nhận" sends.
  function confirmStep(show, focus = true) {
    const box = document.getElementById("confirm");
    const send = document.getElementById("send");
    confirming = show && !!box;
    if (!box || !send) return;
    box.hidden = !show; send.hidden = show;
    if (show && focus) document.getElementById("confirm-send").focus();
  }

  async function submit(event) {
    if (event.submitter && event.submitter.dataset.download) return;  // the error-rows download posts natively
    event.preventDefault();
    const button = document.getElementById("confirm-send");
    if (!button) return;  // no account or no Prefect: the page says what to do instead
    if (!event.submitter || event.submitter !== button) { confirmStep(true); return; }  // Enter in a field
    const error = document.getElementById("submit-error");
    button.disabled = true; error.hidden = true;
    try {
      const resp = await fetch("/campaigns", {
        method: "POST", body: new URLSearchParams(new FormData(form)), headers: { "X-CSRF-Token": csrf },
      });
      const data = await resp.json();
      if (resp.ok && data.redirect) { window.location.href = data.redirect; return; }
      error.hidden = false; error.dataset.code = data.error.code;
      error.textContent = data.error.message + " (" + data.error.code + ")";
      confirmStep(false);
    } finally { button.disabled = false; }
  }

  function addRow() {
    const body = document.querySelector("#grid tbody");
    const last = body.lastElementChild;
    const next = body.children.length;
    const row = last.cloneNode(true);
    row.querySelectorAll("input").forEach(function (input) {
      input.name = input.name.replace(/^grid:\d+:/, "grid:" + next + ":"); input.value = "";
    });
    body.appendChild(row);
  }

  form.addEventListener("change", function (event) {
    if (!applying && event.target.type !== "file") refresh();
  });
  form.addEventListener("submit", submit);
  dynamic.addEventListener("click", function (event) {
    if (event.target.dataset.action === "add-row") addRow();
    if (event.target.dataset.action === "confirm") confirmStep(true);
    if (event.target.dataset.action === "back") confirmStep(false);
  });
  document.getElementById("file").addEventListener("change", function (event) {
    if (event.target.files.length) upload(event.target.files[0]);
  });
  const drop = document.getElementById("drop");
  drop.addEventListener("dragover", function (event) { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", function () { drop.classList.remove("over"); });
  drop.addEventListener("drop", function (event) {
    event.preventDefault(); drop.classList.remove("over");
    if (event.dataTransfer.files.length) upload(event.dataTransfer.files[0]);
  });
  placeUploadBox();
})();
