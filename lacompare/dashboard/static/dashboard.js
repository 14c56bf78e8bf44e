// lacompare dashboard: draw Vega-Lite charts and keep the page's state in the URL.
(function () {
  "use strict";
  // Input ids and the query keys that carry them (the same keys the /table/ pages read).
  var KEYS = {page: "page", sel_la: "la", sel_measures: "m", sel_measure: "measure",
              sel_period: "period", sel_group: "group", sel_highlight: "highlight",
              sel_x: "x", sel_y: "y", sel_target: "target", sel_zero: "zero"};

  function draw(root) {
    if (typeof vegaEmbed !== "function") { return; }
    (root || document).querySelectorAll(".lac-vega:not([data-drawn])").forEach(function (el) {
      el.setAttribute("data-drawn", "1");
      var spec = JSON.parse(el.getAttribute("data-spec"));
      vegaEmbed(el, spec, {renderer: "svg", actions: false}).then(function () {
        var svg = el.querySelector("svg");
        if (svg) { svg.setAttribute("aria-hidden", "true"); svg.setAttribute("focusable", "false"); }
      }).catch(function (err) {
        el.textContent = "The chart could not be drawn: " + err;
      });
    });
  }

  function syncUrl(name, value) {
    var key = KEYS[name];
    if (!key) { return; }
    var params = new URLSearchParams(window.location.search);
    params.delete(key);
    if (typeof value === "boolean") { value = value ? "1" : null; }  // a checkbox: zero=1
    var values = Array.isArray(value) ? value : [value];
    values.forEach(function (v) {
      if (v !== null && v !== undefined && v !== "") { params.append(key, v); }
    });
    var query = params.toString();
    history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
    document.querySelectorAll("a[data-lac-nojs]").forEach(function (a) {
      a.setAttribute("href", a.getAttribute("data-lac-nojs") + (query ? "?" + query : ""));
    });
  }

  // A table wider than the screen scrolls in its own box: make that box a Tab
  // stop while it scrolls, so it can be scrolled with the keyboard (WCAG 2.1.1;
  // axe-core's scrollable-region-focusable). Chromium does so itself without
  // JavaScript; other browsers may not.
  function scrollers() {
    document.querySelectorAll("figure.lc-table, .lac-table-scroll").forEach(function (box) {
      var wide = box.scrollWidth > box.clientWidth + 1;
      if (wide && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("data-lac-scroller", "1");
      } else if (!wide && box.hasAttribute("data-lac-scroller")) {
        box.removeAttribute("tabindex");
        box.removeAttribute("data-lac-scroller");
      }
    });
  }

  function refresh() { draw(document); scrollers(); }

  document.documentElement.classList.add("lac-js");

  new MutationObserver(refresh)
    .observe(document.documentElement, {childList: true, subtree: true});
  document.addEventListener("DOMContentLoaded", refresh);
  window.addEventListener("resize", scrollers);
  if (window.jQuery) {
    window.jQuery(document).on("shiny:inputchanged", function (event) {
      syncUrl(event.name, event.value);
    });
  }
})();
