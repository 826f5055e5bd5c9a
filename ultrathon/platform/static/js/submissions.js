// The submissions page: size check before upload, upload progress, and rows that follow
// their submission from queued to scored or failed without a reload (polling a JSON view).
// Its words come from the page (#submission-words), its numbers in the page's language.
(function () {
  "use strict";

  var language = document.documentElement.lang || undefined;
  var words = {};
  try { words = JSON.parse(document.getElementById("submission-words").textContent); } catch (e) { words = {}; }

  // A page-given text with its {name} placeholders filled.
  function said(key, values) {
    return String(words[key] || "").replace(/\{(\w+)\}/g, function (whole, name) {
      return values && name in values ? values[name] : whole;
    });
  }

  var POLL_MS = 2000;
  var form = document.getElementById("upload-form");
  var table = document.getElementById("submissions");
  var rowsUrl = table ? table.getAttribute("data-rows-url") : null;
  var pollTimer = null;

  function $(id) { return document.getElementById(id); }

  // Two decimals: "1.05 MB" over a 1 MB limit must not read as "1 MB".
  function megabytes(bytes) {
    return new Intl.NumberFormat(language, { maximumFractionDigits: 2 }).format(bytes / 1048576) + " MB";
  }

  function showError(title, detail, problems, count) {
    var box = $("upload-error");
    box.textContent = "";
    var heading = document.createElement("p");
    var strong = document.createElement("strong");
    strong.textContent = title;
    heading.appendChild(strong);
    if (detail) heading.appendChild(document.createTextNode(" " + detail));
    box.appendChild(heading);
    if (problems && problems.length) {
      var list = document.createElement("table");
      list.className = "problems";
      var head = list.createTHead().insertRow();
      [said("row"), said("column"), said("problem")].forEach(function (label) {
        var th = document.createElement("th");
        th.scope = "col";
        th.textContent = label;
        head.appendChild(th);
      });
      var body = list.createTBody();
      problems.forEach(function (p) {
        var tr = body.insertRow();
        tr.insertCell().textContent = p.row === null || p.row === undefined ? "—" : String(p.row);
        tr.insertCell().textContent = p.column || "—";
        tr.insertCell().textContent = p.message || "";
      });
      box.appendChild(list);
      if (count && count > problems.length) {
        var more = document.createElement("p");
        more.className = "help";
        more.textContent = said("more", { count: count - problems.length });
        box.appendChild(more);
      }
    }
    box.hidden = false;
  }

  function clearError() {
    var box = $("upload-error");
    box.hidden = true;
    box.textContent = "";
  }

  function checkSize() {
    var input = $("upload-file");
    var max = parseInt(form.getAttribute("data-max-bytes"), 10);
    var file = input.files && input.files[0];
    clearError();
    if (file && file.size > max) {
      showError(said("file_too_large") + ":", said("too_big", { size: megabytes(file.size) }));
      input.setAttribute("aria-invalid", "true");
      return false;
    }
    input.removeAttribute("aria-invalid");
    return true;
  }

  // Disabling the focused Upload button drops the keyboard to the page's top: it gets the focus back after.
  var refocus = false;

  function setBusy(busy) {
    if (busy) refocus = document.activeElement === $("upload-button");
    $("upload-button").disabled = busy;
    $("upload-progress").hidden = !busy;
    if (!busy) $("upload-progress-text").textContent = "";
    if (!busy && refocus) $("upload-button").focus();
  }

  function upload(event) {
    event.preventDefault();
    var input = $("upload-file");
    if (!input.files || !input.files[0]) {
      showError(said("no_file") + ":", said("choose_file"));
      input.focus();
      return;
    }
    if (!checkSize()) { input.focus(); return; }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return;
      var percent = Math.round(100 * e.loaded / e.total);
      $("upload-progress").value = percent;
      var shown = new Intl.NumberFormat(language, { style: "percent" }).format(percent / 100);
      $("upload-progress-text").textContent = percent < 100 ? said("uploading", { percent: shown }) : said("checking");
    });
    xhr.addEventListener("load", function () {
      setBusy(false);
      var data = null;
      try { data = JSON.parse(xhr.responseText); } catch (e) { /* an HTML error page */ }
      if (xhr.status === 202 && data) {
        form.reset();
        $("upload-progress-text").textContent = said("queued", { id: data.id });
        refresh();
      } else if (data && data.title) {
        showError(data.title + ":", data.detail, data.problems, data.problem_count);
      } else if (xhr.status === 413) {
        showError(said("file_too_large") + ":", said("server_too_big"));
      } else {
        showError(said("upload_failed") + ":", said("server_answered", { status: xhr.status }));
      }
    });
    xhr.addEventListener("error", function () {
      setBusy(false);
      showError(said("upload_failed") + ":", said("connection_lost"));
    });
    clearError();
    setBusy(true);
    $("upload-progress").value = 0;
    xhr.send(new FormData(form));
  }

  // A submission's markup is its row and, for survival curves, a per-horizon row under it.
  function rowsFromHtml(html) {
    var holder = document.createElement("tbody");
    holder.innerHTML = html.trim();  // our own server-rendered, escaped markup
    return Array.prototype.slice.call(holder.children);
  }

  // A row that reached scored or failed carries its sentence, in the page's language (submissions/_row.html).
  function announce(row) {
    var sentence = row.getAttribute("data-announce");
    var announcer = $("status-announcer");
    if (sentence && announcer) announcer.textContent = sentence;
  }

  function applyRows(data) {
    var body = table.tBodies[0];
    var empty = body.querySelector("tr.empty");
    var pending = false;
    // Rows come newest first; walk oldest first so each new row lands on top.
    for (var i = data.submissions.length - 1; i >= 0; i--) {
      var item = data.submissions[i];
      if (item.status === "queued" || item.status === "scoring") pending = true;
      var current = document.getElementById("sub-" + item.id);
      if (current && current.getAttribute("data-status") === item.status &&
          current.getAttribute("data-selected") === (item.selected ? "yes" : "no")) continue;
      var rows = rowsFromHtml(item.html);
      var before = body.firstElementChild;
      if (current) {
        // The rows a submission adds below its own (per horizon, method card) go with it.
        ["-horizons", "-card"].forEach(function (suffix) {
          var extra = document.getElementById("sub-" + item.id + suffix);
          if (extra) extra.remove();
        });
        before = current.nextElementSibling;
        current.remove();
      } else if (empty) { empty.remove(); empty = null; before = body.firstElementChild; }
      rows.forEach(function (row) {
        body.insertBefore(row, before);
        if (window.Ultrathon) window.Ultrathon.localiseTimes(row);
      });
      if (current) announce(rows[0]);
    }
    if (data.quota_html && $("quota")) {
      $("quota").innerHTML = data.quota_html;
      if (window.Ultrathon) window.Ultrathon.localiseTimes($("quota"));
    }
    if (data.final_html && $("final-summary")) $("final-summary").innerHTML = data.final_html;
    return pending;
  }

  function refresh() {
    if (!rowsUrl) return;
    if (pollTimer) { clearTimeout(pollTimer); pollTimer = null; }
    var xhr = new XMLHttpRequest();
    xhr.open("GET", rowsUrl);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.addEventListener("load", function () {
      var pending = true;  // on a bad answer, keep trying: the rows are still on their way
      if (xhr.status === 200) {
        try { pending = applyRows(JSON.parse(xhr.responseText)); } catch (e) { pending = true; }
      }
      if (pending) pollTimer = setTimeout(refresh, POLL_MS);
    });
    xhr.addEventListener("error", function () { pollTimer = setTimeout(refresh, POLL_MS * 2); });
    xhr.send();
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (form) {
      form.addEventListener("submit", upload);
      $("upload-file").addEventListener("change", checkSize);
    }
    if (table && table.querySelector('tr[data-status="queued"], tr[data-status="scoring"]')) {
      pollTimer = setTimeout(refresh, POLL_MS);
    }
  });
})();
