// Progressive enhancement for the search page. Everything works without
// it: filters have an Apply button, sort and pages are plain links.
(function () {
  "use strict";
  // Hints that hold for the page without script say what the script
  // changes once it runs. The text is swapped in place, on one line: a
  // class on <html> (as this used to add) restyles the whole page after
  // load, a 400 ms task on a throttled phone (Lighthouse: total blocking
  // time), and showing a hidden line would move the sidebar.
  document.querySelectorAll("[data-js-text]").forEach(function (el) {
    el.textContent = el.getAttribute("data-js-text");
  });

  var form = document.getElementById("search");
  var q = document.getElementById("q");

  // A ticked or unticked facet applies at once. Focus returns to the same
  // checkbox after the reload, so keyboard users keep their place.
  var FOCUS_KEY = "policysearch.focus";
  document.querySelectorAll("input[data-autosubmit]").forEach(function (box) {
    box.addEventListener("change", function () {
      try { sessionStorage.setItem(FOCUS_KEY, box.name + "=" + box.value); } catch (e) {}
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    });
  });
  try {
    var want = sessionStorage.getItem(FOCUS_KEY);
    if (want) {
      sessionStorage.removeItem(FOCUS_KEY);
      document.querySelectorAll("input[data-autosubmit]").forEach(function (box) {
        if (box.name + "=" + box.value === want) { box.focus(); }
      });
    }
  } catch (e) {}

  // The filters panel is folded on phones and always shown on wide
  // screens by CSS alone (style.css, ::details-content): toggling it here
  // after load moved the whole page (layout shift).

  // "/" jumps to the search box, as on most search sites; Escape closes
  // the query syntax panel.
  var help = document.querySelector("details.help");
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    var typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
    if (e.key === "/" && !typing && !e.ctrlKey && !e.metaKey && !e.altKey && q) {
      e.preventDefault();
      q.focus();
      q.select();
    } else if (e.key === "Escape" && help && help.open) {
      help.open = false;
      help.querySelector("summary").focus();
    } else if (e.key === "Escape") {
      document.querySelectorAll("details.menu[open]").forEach(function (m) {
        m.open = false;
        m.querySelector("summary").focus();
      });
    }
  });

  // The Export and Alerts menus close when another opens or on a click
  // elsewhere, as menus do; without JavaScript they are plain disclosures.
  var menus = document.querySelectorAll("details.menu");
  menus.forEach(function (m) {
    m.addEventListener("toggle", function () {
      if (!m.open) { return; }
      menus.forEach(function (o) { if (o !== m) { o.open = false; } });
    });
  });
  document.addEventListener("click", function (e) {
    menus.forEach(function (m) {
      if (m.open && !m.contains(e.target)) { m.open = false; }
    });
  });
})();
