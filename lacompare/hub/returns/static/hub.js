// The return page's script: autosave, the sum of a total's parts as one types, and
// numbers with thousands separators. Served from the hub (no inline script: CSP).
//
// Autosave: a draft is saved a moment after the service stops typing, so nothing
// typed is lost if the browser closes. The form carries "shown": the answers as this
// page shows them. The server leaves alone every field whose answer is still what was
// shown, so a save never blanks or undoes a field the user did not touch (an answer
// the page could not show, or one changed since in another tab). After each save the
// answers sent become "shown". The server's problems are shown as it returns them:
// in the status line (with links to the fields) and as red text beside each field.
(function () {
  "use strict";
  var form = document.getElementById("return-form");
  if (!form) { return; }
  var status = document.getElementById("autosave-status");
  var shownInput = document.getElementById("shown");
  var timer = null;
  var grouping = new Intl.NumberFormat("en-GB", {maximumFractionDigits: 10});

  // A typed number as the server reads it ("£1,020" is 1020), or null.
  function numberOf(text) {
    var plain = String(text || "").replace(/[£,\s]/g, "");
    if (!/^-?\d+(\.\d+)?$/.test(plain)) { return null; }
    return parseFloat(plain);
  }

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

  function setDescribedBy(input, id, on) {
    var ids = (input.getAttribute("aria-describedby") || "").split(/\s+/)
      .filter(function (x) { return x && x !== id; });
    if (on) { ids.push(id); }
    if (ids.length) { input.setAttribute("aria-describedby", ids.join(" ")); }
    else { input.removeAttribute("aria-describedby"); }
  }

  // Red text beside each field with an error from the server; none elsewhere.
  function showFieldErrors(issues) {
    var byField = {};
    issues.forEach(function (i) {
      if (i.severity === "error" && i.field) {
        (byField[i.field] = byField[i.field] || []).push(i.message);
      }
    });
    form.querySelectorAll("[data-field]").forEach(function (group) {
      var name = group.getAttribute("data-field");
      var input = document.getElementById("id_" + name);
      if (!input) { return; }
      var id = input.id + "-error";
      var box = document.getElementById(id);
      var messages = byField[name] || [];
      group.classList.toggle("govuk-form-group--error", messages.length > 0);
      input.classList.toggle(
        input.tagName === "SELECT" ? "govuk-select--error" : "govuk-input--error",
        messages.length > 0);
      if (!messages.length) {
        if (box) { box.parentNode.removeChild(box); }
        setDescribedBy(input, id, false);
        return;
      }
      if (!box) {
        box = document.createElement("p");
        box.className = "govuk-error-message";
        box.id = id;
        var wrapper = input.closest(".govuk-input__wrapper") || input;
        wrapper.parentNode.insertBefore(box, wrapper);
      }
      box.textContent = "";
      messages.forEach(function (m, n) {
        var hidden = document.createElement("span");
        hidden.className = "govuk-visually-hidden";
        hidden.textContent = "Error:";
        if (n) { box.appendChild(document.createElement("br")); }
        box.appendChild(hidden);
        box.appendChild(document.createTextNode(" " + m));
      });
      setDescribedBy(input, id, true);
    });
  }

  function showStatus(data) {
    var errors = (data.issues || []).filter(function (i) {
      return i.severity === "error";
    });
    status.textContent = "";
    status.classList.toggle("hub-autosave--problems", errors.length > 0);
    if (!errors.length) {
      status.textContent = "Draft saved at " + data.at + " (version " +
        data.version + ").";
      return;
    }
    var head = document.createElement("p");
    head.className = "govuk-body govuk-!-margin-bottom-0";
    head.textContent = "Saved at " + data.at + " (version " + data.version +
      "), with " + errors.length + (errors.length === 1 ? " problem" : " problems") +
      " to fix before you submit:";
    var list = document.createElement("ul");
    errors.forEach(function (i) {
      var item = document.createElement("li");
      var target = i.field && document.getElementById("id_" + i.field);
      if (target) {
        var link = document.createElement("a");
        link.className = "govuk-link";
        link.href = "#" + target.id;
        link.textContent = i.message;
        link.addEventListener("click", function (e) {
          e.preventDefault();
          target.focus();
        });
        item.appendChild(link);
      } else {
        item.textContent = i.message;
      }
      list.appendChild(item);
    });
    status.appendChild(head);
    status.appendChild(list);
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
        showStatus(data);
        showFieldErrors(data.issues || []);
      } else {
        status.classList.add("hub-autosave--problems");
        status.textContent = "Not saved: " + (data.error || "check the answers");
      }
    }).catch(function () {
      status.classList.add("hub-autosave--problems");
      status.textContent = "Not saved: no connection";
    });
  }

  // Each total shows the sum of its parts as they are typed, and says when the
  // total typed differs from it.
  var sums = Array.prototype.slice.call(form.querySelectorAll("[data-sum-of]"));
  function updateSums() {
    sums.forEach(function (line) {
      var prefix = line.getAttribute("data-prefix") || "";
      var total = 0;
      var given = 0;
      line.getAttribute("data-sum-of").split(" ").forEach(function (id) {
        var part = document.getElementById(id);
        var value = part ? numberOf(part.value) : null;
        if (value !== null) { total += value; given += 1; }
      });
      var typed = numberOf((document.getElementById(
        line.getAttribute("data-total")) || {}).value);
      var text = "Sum of the parts above: " + prefix + grouping.format(total);
      if (!given) { text = "Sum of the parts above: none given yet."; }
      var differs = given > 0 && typed !== null && Math.abs(typed - total) > 0.5;
      if (differs) { text += " (the total given is " + prefix + grouping.format(typed) + ")"; }
      line.textContent = text;
      line.classList.toggle("hub-sum--differs", differs);
    });
  }

  // A number gets its thousands separators when the user leaves the box (the
  // server reads "1,020" as 1020, and keeps it without them).
  form.addEventListener("focusout", function (e) {
    var box = e.target;
    if (!box.hasAttribute || !box.hasAttribute("data-number")) { return; }
    var value = numberOf(box.value);
    if (value !== null && /^[£\d,\s.-]+$/.test(box.value)) {
      box.value = grouping.format(value);
    }
  });

  form.addEventListener("input", function () {
    updateSums();
    clearTimeout(timer);
    timer = setTimeout(save, 1500);
  });
  updateSums();
})();
