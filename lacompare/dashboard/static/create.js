// Create your own: filter the indicator list as one types (the Search button
// does the same without JavaScript, by reloading the page).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("q");
    var list = document.getElementById("indicator-list");
    if (!box || !list) { return; }
    var hint = document.getElementById("q-hint");
    var status = document.createElement("p");
    status.className = "lac-hint";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    hint.parentNode.insertBefore(status, hint.nextSibling);
    function filter() {
      var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      list.querySelectorAll(".lac-check").forEach(function (row) {
        var text = row.getAttribute("data-words") || "";
        var ticked = row.querySelector("input").checked;
        var hit = ticked || words.every(function (w) { return text.indexOf(w) >= 0; });
        row.hidden = !hit;
        if (hit) { shown += 1; }
      });
      list.querySelectorAll(".lac-topic").forEach(function (set) {
        set.hidden = !set.querySelector(".lac-check:not([hidden])");
      });
      status.textContent = words.length ? shown + " indicators match." : "";
    }
    box.addEventListener("input", filter);
    // Enter in the search box filters; it does not submit the table.
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); filter(); }
    });
  });
})();
