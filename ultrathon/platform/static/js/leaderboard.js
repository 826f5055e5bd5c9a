// The live leaderboard: server-sent events say when standings changed; rows are updated in place.
// If the stream fails, the page polls the JSON instead. Charts use the vendored Chart.js.
// Every word it writes comes from the page (#lb-words), and numbers and dates follow the page's language.
(function () {
  "use strict";

  var language = document.documentElement.lang || undefined;
  var words = {};
  try { words = JSON.parse(document.getElementById("lb-words").textContent); } catch (err) { words = {}; }

  // A page-given text with its {name} placeholders filled, as a string.
  function said(key, values) {
    return String(words[key] || "").replace(/\{(\w+)\}/g, function (whole, name) {
      return values && name in values ? String(values[name]) : whole;
    });
  }

  // A page-given text as parts for fill(), a node where a placeholder names one ("Standings as of {time}.").
  function saidParts(key, values) {
    return String(words[key] || "").split(/(\{\w+\})/).filter(Boolean).map(function (piece) {
      var name = /^\{(\w+)\}$/.exec(piece);
      return name && name[1] in values ? values[name[1]] : piece;
    });
  }

  var POLL_MS = window.UltrathonPollMs || 15000; // tests shorten it
  var board = document.getElementById("lb-board");
  if (!board) return;

  var split = board.getAttribute("data-split");
  var jsonUrl = board.getAttribute("data-json-url");
  var chartsUrl = board.getAttribute("data-charts-url");
  var eventsUrl = board.getAttribute("data-events-url");
  var myTeam = board.getAttribute("data-my-team");
  var live = document.getElementById("lb-live");
  var charts = {};
  var pollTimer = null;
  var inFlight = false;
  var again = false;
  var latest = null; // the newest standings state an event named

  function setState(state, text) {
    if (!live) return;
    live.setAttribute("data-state", state);
    live.querySelector("[data-live-text]").textContent = text;
  }

  // --- formatting, as the server renders it (templates/leaderboard/_standings.html), in the page's language ---

  function number(value, decimals) {
    if (value === null || value === undefined) return "—";
    var digits = decimals === undefined ? { maximumFractionDigits: 3 } : { minimumFractionDigits: decimals, maximumFractionDigits: decimals };
    return new Intl.NumberFormat(language, digits).format(Number(value));
  }

  function percent(value) {
    return new Intl.NumberFormat(language, { style: "percent", maximumFractionDigits: 0 }).format(value);
  }

  function timeNode(iso, seconds) {
    if (!iso) return document.createTextNode("—");
    var node = document.createElement("time");
    node.setAttribute("datetime", iso);
    // Seconds or not, as the server writes it: ultrathon.js rewrites it in the viewer's zone and language.
    node.textContent = iso.slice(0, seconds ? 19 : 16).replace("T", " ") + " UTC";
    return node;
  }

  function badge(text, cls) {
    var span = document.createElement("span");
    span.className = "badge " + cls;
    span.textContent = text;
    return span;
  }

  function fill(cell, parts) {
    while (cell.firstChild) cell.removeChild(cell.firstChild);
    for (var i = 0; i < parts.length; i++) {
      cell.appendChild(typeof parts[i] === "string" ? document.createTextNode(parts[i]) : parts[i]);
    }
  }

  function muted(text) { var s = document.createElement("span"); s.className = "muted"; s.textContent = text; return s; }

  function move(change) {
    if (change === null || change === undefined) return ["—"];
    var s = document.createElement("span");
    if (change > 0) { s.className = "lb-up"; s.textContent = "▲ " + change; }
    else if (change < 0) { s.className = "lb-down"; s.textContent = "▼ " + (-change); }
    else { s.textContent = "="; }
    return [s];
  }

  var table0 = board.querySelector("[data-lb=table]");
  var tieRule = table0 ? table0.getAttribute("data-tie-rule") : null;
  // A multi-metric scheme adds its figure after the rank (the table says so with data-ranking),
  // and a column per other ranking metric after the primary's interval (named in data-ranking-metrics);
  // several sites add a column each after those (data-sites: their names, as JSON).
  var others = ((table0 && table0.getAttribute("data-ranking-metrics")) || "").split(" ").filter(Boolean);
  var sites = [];
  try { sites = JSON.parse(table0 && table0.getAttribute("data-sites") || "[]"); } catch (err) { sites = []; }
  var columns = ["rank"].concat(table0 && table0.hasAttribute("data-ranking") ? ["ranking_value"] : [])
    .concat(["team", "score", "ci"])
    .concat(others.map(function (m) { return "ranking_values:" + m; }))
    .concat(sites.map(function (site) { return "site:" + site; }))
    .concat(["p_rank1", "median_rank"])
    .concat(split === "private" ? ["public_rank", "rank_change"] : [])
    .concat(["submissions", "last_submission_at"]);

  function siteParts(figures, decimals) {
    if (!figures || typeof figures !== "object") {
      var span = document.createElement("span");
      span.className = "lb-pending";
      span.title = said("pending_title");
      span.textContent = said("pending");
      return [span];
    }
    var parts = [number(figures.score, decimals)];
    if (figures.ci_low !== null && figures.ci_low !== undefined) {
      parts.push(document.createElement("br"), muted(number(figures.ci_low, decimals) + " – " + number(figures.ci_high, decimals)));
    }
    return parts;
  }

  // A submission some sites have scored and others not: its site figures, and no rank or combined score.
  function pendingParts(column, p, decimals) {
    if (column.indexOf("site:") === 0) return siteParts((p.sites || {})[column.slice(5)], decimals);
    if (column === "team") {
      var unranked = badge(said("unranked"), "lb-unranked");
      unranked.title = said("unranked_title");
      return [p.team, " ", unranked];
    }
    return ["—"];
  }

  function cellParts(column, e, decimals) {
    if (column.indexOf("ranking_values:") === 0) {
      var value = (e.ranking_values || {})[column.slice("ranking_values:".length)];
      return [value === null || value === undefined ? "—" : number(value, decimals)];
    }
    if (column.indexOf("site:") === 0) return siteParts((e.sites || {})[column.slice(5)], decimals);
    switch (column) {
      case "rank": return [e.rank === null ? "—" : String(e.rank)];
      case "team":
        var parts = [e.team];
        if (e.baseline) parts.push(" ", badge(said("baseline"), "lb-base"));
        if (e.tied_with_leader) {
          var tied = badge(said("tied"), "lb-tied");
          if (tieRule) tied.title = said("tie_rule", { rule: tieRule });
          parts.push(" ", tied);
        }
        return parts;
      case "ranking_value": return [number(e.ranking_value)];
      case "score": return [number(e.score, decimals)];
      case "ci": return [e.ci_low === null ? "—" : number(e.ci_low, decimals) + " – " + number(e.ci_high, decimals)];
      case "p_rank1": return [e.p_rank1 === null ? "—" : percent(e.p_rank1)];
      case "median_rank": return e.median_rank === null ? ["—"] : [number(e.median_rank) + " ", muted("(" + e.rank_low + "–" + e.rank_high + ")")];
      case "public_rank": return [e.public_rank === null || e.public_rank === undefined ? "—" : String(e.public_rank)];
      case "rank_change": return move(e.rank_change);
      case "submissions": return [String(e.submissions)];
      case "last_submission_at": return [timeNode(e.last_submission_at)];
    }
    return [""];
  }

  function signature(e) {
    return [e.rank, e.score, e.ci_low, e.ci_high, e.submissions, e.tied_with_leader, e.p_rank1, e.median_rank, e.ranking_value,
            JSON.stringify(e.ranking_values || null), JSON.stringify(e.sites || null)].join("|");
  }

  function newRow(e) {
    var tr = document.createElement("tr");
    tr.setAttribute("data-team-id", String(e.team_id));
    addCells(tr);
    return tr;
  }

  function addCells(tr) {
    for (var i = 0; i < columns.length; i++) {
      var td = document.createElement("td");
      td.setAttribute("data-col", columns[i]);
      if (columns[i] !== "team" && columns[i] !== "last_submission_at") td.className = "num";
      tr.appendChild(td);
    }
  }

  function updatePending(tbody, pending, decimals) {
    // After the ranked rows, in submission order; a row leaves once its submission is ranked.
    var rows = {};
    var existing = tbody.querySelectorAll("tr[data-pending-id]");
    for (var i = 0; i < existing.length; i++) rows[existing[i].getAttribute("data-pending-id")] = existing[i];
    var seen = {};
    for (var j = 0; j < pending.length; j++) {
      var p = pending[j];
      var id = String(p.submission_id);
      var tr = rows[id];
      if (!tr) {
        tr = document.createElement("tr");
        tr.className = "lb-pending-row";
        tr.setAttribute("data-pending-id", id);
        addCells(tr);
      }
      var sig = JSON.stringify(p.sites || null);
      if (tr.getAttribute("data-sig") !== sig) {
        var cells = tr.querySelectorAll("td[data-col]");
        for (var k = 0; k < cells.length; k++) fill(cells[k], pendingParts(cells[k].getAttribute("data-col"), p, decimals));
        tr.setAttribute("data-sig", sig);
      }
      tbody.appendChild(tr);
      seen[id] = true;
    }
    for (var key in rows) if (!seen[key]) tbody.removeChild(rows[key]);
  }

  function updateTable(doc) {
    var table = board.querySelector("[data-lb=table]");
    if (!table) return;
    var tbody = table.tBodies[0];
    var rows = {};
    var existing = tbody.querySelectorAll("tr[data-team-id]");
    for (var i = 0; i < existing.length; i++) rows[existing[i].getAttribute("data-team-id")] = existing[i];
    var empty = tbody.querySelector("tr.lb-empty");
    var pending = doc.pending || [];
    if (empty && (doc.entries.length || pending.length)) tbody.removeChild(empty);
    var seen = {};
    for (var j = 0; j < doc.entries.length; j++) {
      var e = doc.entries[j];
      var id = String(e.team_id);
      var tr = rows[id];
      var isNew = !tr;
      if (isNew) tr = newRow(e);
      var sig = signature(e);
      if (tr.getAttribute("data-sig") !== sig) {
        var cells = tr.querySelectorAll("td[data-col]");
        for (var k = 0; k < cells.length; k++) fill(cells[k], cellParts(cells[k].getAttribute("data-col"), e, doc.decimals));
        if (tr.getAttribute("data-sig") !== null || isNew) {
          tr.classList.remove("lb-changed");
          void tr.offsetWidth; // restart the highlight animation
          tr.classList.add("lb-changed");
        }
        tr.setAttribute("data-sig", sig);
      }
      tr.classList.toggle("lb-baseline", !!e.baseline);
      tr.classList.toggle("lb-mine", myTeam !== null && id === myTeam);
      tbody.appendChild(tr); // appending an existing row moves it: the order follows the standings
      seen[id] = true;
    }
    for (var key in rows) if (!seen[key]) tbody.removeChild(rows[key]);
    updatePending(tbody, pending, doc.decimals);
    var asof = board.querySelector("[data-lb=asof]");
    if (asof) {
      var parts = saidParts("as_of", { time: timeNode(doc.as_of, true) }).concat([" "]);
      if (doc.stats_as_of && doc.n_resamples) {
        parts = parts.concat(saidParts("stats_as_of", { time: timeNode(doc.stats_as_of, true),
          resamples: number(doc.n_resamples), teams: String(doc.top_k) }));
      } else if (doc.stats_as_of) {
        parts.push(said("stats_none"));
      } else {
        parts.push(said("stats_computing"));
      }
      fill(asof, parts);
    }
    if (window.Ultrathon) window.Ultrathon.localiseTimes(board);
  }

  function markSigns() {
    // Rows rendered by the server get their signature lazily: the first update fills it, unflashed.
    var rows = board.querySelectorAll("tr[data-team-id]");
    for (var i = 0; i < rows.length; i++) rows[i].removeAttribute("data-sig");
    if (myTeam !== null) {
      var mine = board.querySelector('tr[data-team-id="' + myTeam + '"]');
      if (mine) mine.classList.add("lb-mine");
    }
  }

  // --- charts ---

  var palette = ["#0b5fa5", "#d1495b", "#2e933c", "#edae49", "#6a4c93", "#00798c", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"];

  // Days are UTC days, as the server counts them; written the page's way.
  var dayFormat = new Intl.DateTimeFormat(language, { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
  var momentFormat = new Intl.DateTimeFormat(language, { year: "numeric", month: "short", day: "numeric", hour: "2-digit",
                                                          minute: "2-digit", timeZone: "UTC" });
  function dayText(ms) { return dayFormat.format(new Date(ms)); }
  function isoDayText(day) { var ms = Date.parse(day + "T00:00:00Z"); return isNaN(ms) ? day : dayText(ms); }

  function historyData(series) {
    var now = Date.now();
    var last = 0;
    series.history.forEach(function (team) { team.points.forEach(function (p) { last = Math.max(last, Date.parse(p.at)); }); });
    var end = Math.max(last, Math.min(now, last + 86400000));
    return series.history.map(function (team, i) {
      var data = team.points.map(function (p) { return { x: Date.parse(p.at), y: p.best }; });
      if (data.length) data.push({ x: end, y: data[data.length - 1].y });
      return { label: team.team, data: data, stepped: true, borderColor: palette[i % palette.length],
               backgroundColor: palette[i % palette.length], pointRadius: 2, borderWidth: 2, fill: false };
    });
  }

  function forestData(series) {
    var rows = series.forest.filter(function (e) { return e.score !== null; });
    return {
      labels: rows.map(function (e) { return e.rank === null ? said("baseline_label", { team: e.team }) : e.rank + ". " + e.team; }),
      intervals: rows.map(function (e) { return e.ci_low === null ? null : [e.ci_low, e.ci_high]; }),
      scores: rows.map(function (e) { return e.score; })
    };
  }

  // Axes without a point would only mislead (an empty time axis reads 1970): say so instead.
  function showWhenData(canvas, hasData) {
    var note = canvas.parentNode.querySelector(".lb-chart-empty");
    if (!note) {
      note = document.createElement("p");
      note.className = "lb-chart-empty";
      note.textContent = said("no_scores");
      canvas.parentNode.appendChild(note);
    }
    canvas.style.display = hasData ? "block" : "none"; // Chart.js sets an inline display of its own
    note.hidden = hasData;
    return hasData;
  }

  function drawCharts(series) {
    if (!window.Chart) return;
    // Charts redraw on every change; moving lines would only distract from the table.
    Chart.defaults.animation = false;
    Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
    Chart.defaults.locale = language; // the axes' numbers, as the page writes them

    var history = board.querySelector("canvas[data-chart=history]");
    var datasets = history ? historyData(series) : [];
    if (history && showWhenData(history, datasets.some(function (d) { return d.data.length > 0; }))) {
      if (charts.history) { charts.history.data.datasets = datasets; charts.history.update(); }
      else charts.history = new Chart(history, {
        type: "line",
        data: { datasets: datasets },
        options: {
          maintainAspectRatio: false, parsing: false,
          scales: { x: { type: "linear", ticks: { callback: dayText, maxTicksLimit: 6 } },
                    y: { title: { display: true, text: series.metric_label } } },
          plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } },
                     tooltip: { callbacks: { title: function (items) { return momentFormat.format(new Date(items[0].parsed.x)) + " UTC"; } } } }
        }
      });
    }

    var perDay = board.querySelector("canvas[data-chart=per_day]");
    if (perDay && showWhenData(perDay, series.per_day.length > 0)) {
      var labels = series.per_day.map(function (d) { return isoDayText(d.day); });
      var counts = series.per_day.map(function (d) { return d.submissions; });
      if (charts.perDay) { charts.perDay.data.labels = labels; charts.perDay.data.datasets[0].data = counts; charts.perDay.update(); }
      else charts.perDay = new Chart(perDay, {
        type: "bar",
        data: { labels: labels, datasets: [{ label: said("submissions"), data: counts, backgroundColor: "#0b5fa5" }] },
        options: { maintainAspectRatio: false, plugins: { legend: { display: false } },
                   scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { ticks: { maxTicksLimit: 10 } } } }
      });
    }

    var forest = board.querySelector("canvas[data-chart=forest]");
    var f = forest ? forestData(series) : null;
    if (forest && showWhenData(forest, f.labels.length > 0)) {
      forest.parentNode.style.height = Math.max(12, 3 + f.labels.length * 1.6) + "rem";
      if (charts.forest) {
        charts.forest.data.labels = f.labels;
        charts.forest.data.datasets[0].data = f.intervals;
        charts.forest.data.datasets[1].data = f.scores;
        charts.forest.update();
      } else charts.forest = new Chart(forest, {
        type: "bar",
        data: { labels: f.labels, datasets: [
          { label: said("ci"), data: f.intervals, backgroundColor: "#9cc3e6", barThickness: 6, order: 2 },
          { type: "line", indexAxis: "y", label: series.metric_label, data: f.scores, showLine: false, pointRadius: 5,
            pointStyle: "rectRot", backgroundColor: "#12263f", borderColor: "#12263f", order: 1 }
        ] },
        options: {
          indexAxis: "y", maintainAspectRatio: false,
          scales: { x: { beginAtZero: false, title: { display: true, text: said("score_axis") } },
                    y: { ticks: { autoSkip: false } } },
          plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } }
        }
      });
    }
  }

  function initialCharts() {
    var node = document.getElementById("lb-charts-data");
    if (!node) return;
    try { drawCharts(JSON.parse(node.textContent)); } catch (err) { /* a page without chart data keeps its table */ }
  }

  // --- refreshing ---

  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" }, cache: "no-store", credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(url + " answered " + r.status); return r.json(); });
  }

  function withGeneration(url, generation) {
    // The state the event announced: the server will not answer with an older copy.
    return generation ? url + (url.indexOf("?") < 0 ? "?" : "&") + "g=" + encodeURIComponent(generation) : url;
  }

  function refresh(generation) {
    if (typeof generation === "string") latest = generation;
    if (inFlight) { again = true; return; }
    inFlight = true;
    Promise.all([getJSON(withGeneration(jsonUrl, latest)), getJSON(withGeneration(chartsUrl, latest))])
      .then(function (both) { updateTable(both[0]); drawCharts(both[1]); board.setAttribute("data-refreshed", both[0].as_of); })
      .catch(function () { /* the next event or poll tries again */ })
      .then(function () { inFlight = false; if (again) { again = false; refresh(); } });
  }

  function startPolling(reason) {
    setState("polling", said("polling", { reason: reason, seconds: number(POLL_MS / 1000) }));
    if (pollTimer === null) pollTimer = setInterval(function () { refresh(); }, POLL_MS);
  }

  function stopPolling() {
    if (pollTimer !== null) { clearInterval(pollTimer); pollTimer = null; }
  }

  function connect() {
    if (!window.EventSource) { startPolling(said("no_stream")); return; }
    var source = new EventSource(eventsUrl);
    source.addEventListener("open", function () {
      stopPolling();
      setState("live", said("live"));
      refresh(); // catch up with anything missed while the stream was down
    });
    source.addEventListener("leaderboard", function (event) {
      var generation = null;
      try { generation = JSON.parse(event.data).generation || null; } catch (err) { /* refresh anyway */ }
      refresh(generation);
    });
    source.addEventListener("error", function () {
      // The browser retries a dropped stream by itself; until it is back, poll.
      startPolling(said(source.readyState === EventSource.CLOSED ? "unavailable" : "dropped"));
    });
  }

  markSigns();
  initialCharts();
  connect();
  window.UltrathonLeaderboard = { refresh: refresh, charts: charts };
})();
