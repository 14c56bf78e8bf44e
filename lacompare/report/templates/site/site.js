/* The published site's script: search in the browser, and the charts.
 *
 * Search filters window.LACOMPARE_SITE_INDEX (search-index.js: one entry per
 * authority profile, indicator and region) as the user types; every word typed
 * must appear in an entry's name, kind or detail. No server is asked: the site
 * works from a web server or opened from disk (file://).
 */
(function () {
  "use strict";
  var MOST = 50;

  function fold(text) {
    return String(text || "").toLowerCase().normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "").replace(/[^a-z0-9£%]+/g, " ").trim();
  }

  function search() {
    var form = document.getElementById("site-search");
    var index = window.LACOMPARE_SITE_INDEX;
    if (!form || !index) { return; }
    var input = form.querySelector("input");
    var status = document.getElementById("search-status");
    var list = document.getElementById("search-results");
    var entries = index.map(function (e) {
      return { entry: e, name: fold(e.name), text: fold([e.name, e.kind, e.detail].join(" ")) };
    });

    function show() {
      var words = fold(input.value).split(" ").filter(Boolean);
      list.textContent = "";
      if (!words.length) { status.textContent = ""; list.hidden = true; return; }
      var query = words.join(" ");
      var hits = entries.filter(function (x) {
        return words.every(function (w) { return x.text.indexOf(w) >= 0; });
      });
      // Names starting with what was typed first, then names containing it.
      hits.sort(function (a, b) {
        var sa = a.name.indexOf(query) === 0 ? 0 : a.name.indexOf(query) > 0 ? 1 : 2;
        var sb = b.name.indexOf(query) === 0 ? 0 : b.name.indexOf(query) > 0 ? 1 : 2;
        return sa - sb || a.name.localeCompare(b.name);
      });
      hits.slice(0, MOST).forEach(function (x) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = x.entry.href;
        a.textContent = x.entry.name;
        var kind = document.createElement("span");
        kind.className = "kind";
        kind.textContent = x.entry.kind + (x.entry.detail ? " · " + x.entry.detail : "");
        li.appendChild(a);
        li.appendChild(kind);
        list.appendChild(li);
      });
      list.hidden = hits.length === 0;
      status.textContent = hits.length === 0
        ? "No authority, indicator or region matches “" + input.value.trim() + "”."
        : hits.length + (hits.length === 1 ? " match" : " matches")
          + (hits.length > MOST ? "; the first " + MOST + " are shown." : ".");
    }

    input.addEventListener("input", show);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      show();
      var first = list.querySelector("a");
      if (first) { first.focus(); }
    });
    var asked = new URLSearchParams(window.location.search).get("q");
    if (asked) { input.value = asked; show(); }
  }

  function charts() {
    if (typeof window.vegaEmbed !== "function") { return; }
    document.querySelectorAll("div.vega[data-spec]").forEach(function (div) {
      var spec = JSON.parse(document.getElementById(div.getAttribute("data-spec")).textContent);
      window.vegaEmbed(div, spec, { renderer: "svg", actions: false }).then(function () {
        div.classList.add("drawn");
      }).catch(function (error) { console.error(error); });
    });
  }

  search();
  charts();
}());
