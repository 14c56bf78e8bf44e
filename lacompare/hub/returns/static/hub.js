// Autosave: a draft is saved a moment after the service stops typing, so nothing
// typed is lost if the browser closes. Served from the hub (no inline script: CSP).
(function () {
  "use strict";
  var form = document.getElementById("return-form");
  if (!form) { return; }
  var status = document.getElementById("autosave-status");
  var timer = null;
  function save() {
    var body = new FormData(form);
    fetch(form.dataset.autosave, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRFToken": body.get("csrfmiddlewaretoken")}
    }).then(function (r) { return r.json(); }).then(function (data) {
      status.textContent = data.saved ? "Draft saved at " + data.at + " (version " +
        data.version + ")" : "Not saved: " + (data.error || "check the answers");
    }).catch(function () { status.textContent = "Not saved: no connection"; });
  }
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(save, 1500);
  });
})();
