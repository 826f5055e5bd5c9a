// Every page: times in the viewer's own zone (named), and countdowns. No libraries, no network.
// Its words come from the page (macros.html script_words), and dates and numbers are written in the page's language.
(function () {
  "use strict";

  var language = document.documentElement.lang || undefined;
  var words = {};
  try { words = JSON.parse(document.getElementById("ultrathon-words").textContent); } catch (e) { words = {}; }

  // Fill a page-given text's {name} placeholders.
  function said(text, values) {
    return String(text).replace(/\{(\w+)\}/g, function (whole, name) { return name in values ? values[name] : whole; });
  }

  var zone = "UTC";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch (e) { /* very old browser: stay in UTC */ }

  var withSeconds = { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short" };
  var withoutSeconds = { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" };

  function localText(date, seconds) {
    var text = new Intl.DateTimeFormat(language, seconds ? withSeconds : withoutSeconds).format(date);
    // "GMT+1" alone is ambiguous; the IANA name says which zone the reader is in.
    return zone === "UTC" ? text : text + " (" + zone + ")";
  }

  function localiseTimes(root) {
    var nodes = (root || document).querySelectorAll("time[datetime]:not([data-local])");
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i];
      var date = new Date(node.getAttribute("datetime"));
      if (isNaN(date.getTime())) continue;
      node.textContent = localText(date, /:\d\d:\d\d UTC$/.test(node.textContent.trim()));
      node.setAttribute("data-local", zone);
    }
  }

  // "3 days", "3 dage", "3 dagar": the language's own unit names and plurals.
  function plural(n, unit) {
    return new Intl.NumberFormat(language, { style: "unit", unit: unit, unitDisplay: "long" }).format(n);
  }

  function remaining(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var days = Math.floor(s / 86400), hours = Math.floor((s % 86400) / 3600), minutes = Math.floor((s % 3600) / 60);
    if (days > 0) return plural(days, "day") + " " + plural(hours, "hour");
    if (hours > 0) return plural(hours, "hour") + " " + plural(minutes, "minute");
    if (minutes > 0) return plural(minutes, "minute") + " " + plural(s % 60, "second");
    return plural(s % 60, "second");
  }

  function tickCountdowns() {
    var nodes = document.querySelectorAll("[data-countdown]");
    var now = Date.now();
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i];
      var target = new Date(node.getAttribute("data-countdown")).getTime();
      if (isNaN(target)) continue;
      node.textContent = target > now ? said(words["in"], { duration: remaining(target - now) }) : words.past;
    }
  }

  function noteZone() {
    if (!words.zone) return;
    var notes = document.querySelectorAll("[data-zone-note]");
    for (var i = 0; i < notes.length; i++) notes[i].textContent = said(words.zone, { zone: zone });
  }

  window.Ultrathon = { localiseTimes: localiseTimes, zone: zone, language: language, said: said };

  document.addEventListener("DOMContentLoaded", function () {
    localiseTimes(document);
    noteZone();
    if (words["in"] && document.querySelector("[data-countdown]")) {
      tickCountdowns();
      setInterval(tickCountdowns, 1000);
    }
    var copyButtons = document.querySelectorAll("[data-copy]");
    for (var i = 0; i < copyButtons.length; i++) {
      copyButtons[i].hidden = false;
      copyButtons[i].addEventListener("click", function (event) {
        var button = event.currentTarget;
        var source = document.getElementById(button.getAttribute("data-copy"));
        if (!source || !navigator.clipboard) return;
        navigator.clipboard.writeText(source.value || source.textContent).then(function () {
          var label = button.textContent;
          if (words.copied) button.textContent = words.copied;
          setTimeout(function () { button.textContent = label; }, 1500);
        });
      });
    }
  });
})();
