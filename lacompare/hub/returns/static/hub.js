// Autosave: a draft is saved a moment after the service stops typing, so nothing
// typed is lost if the browser closes. Served from the hub (no inline script: CSP).
//
// The form carries "shown": the answers as this page shows them. The server leaves
// alone every field whose answer is still what was shown, so a save never blanks or
// undoes a field the user did not touch (an answer the page could not show, or one
// changed since in another tab). After each save the answers sent become "shown".
(function () {
  "use strict";
  var form = document.getElementById("return-form");
  if (!form) { return; }
  var status = document.getElementById("autosave-status");
  var shownInput = document.getElementById("shown");
  var timer = null;
  function answersOf(body) {
    var out = {};
    body.forEach(function (value, key) {
      if (key === "csrfmiddlewaretoken" || key === "reason" || key === "shown") {
        return;
      }
      out[key.indexOf("comment__") === 0 ? "comment:" + key.slice(9) : key] = value;
    });
    return out;
  }
  function save() {
    var body = new FormData(form);
    var sent = answersOf(body);
    fetch(form.dataset.autosave, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRFToken": body.get("csrfmiddlewaretoken")}
    }).then(function (r) { return r.json(); }).then(function (data) {
      if (data.saved) {
        if (shownInput) {
          var shown = {};
          try { shown = JSON.parse(shownInput.value || "{}"); } catch (e) { shown = {}; }
          Object.keys(sent).forEach(function (k) { shown[k] = sent[k]; });
          shownInput.value = JSON.stringify(shown);
        }
        var problems = (data.issues || []).filter(function (i) {
          return i.severity === "error";
        }).length;
        status.textContent = "Draft saved at " + data.at + " (version " +
          data.version + ")" + (problems ? "; " + problems +
          " problem(s) to fix before submitting" : "");
      } else {
        status.textContent = "Not saved: " + (data.error || "check the answers");
      }
    }).catch(function () { status.textContent = "Not saved: no connection"; });
  }
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(save, 1500);
  });
})();
