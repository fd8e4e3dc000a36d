// trajdiv report: the task browser. Reads the JSON data block and draws with textContent only,
// so no text from a dump ever becomes markup. State lives in the URL fragment:
//   #level=verb                          the task table at a level
//   #task=ID&config=LABEL&level=phase    one group: its runs side by side, its branches
//   #task=ID&level=verb                  one task across configurations
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("trajdiv-data").textContent);
  var S = D.strings, LV = D.levels;
  var root = document.getElementById("browser");
  var state = { level: D.graph_level, task: null, config: null, sort: "task", desc: false,
                cfg: "", outcome: "", diverged: "", q: "" };

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function add(parent) {
    for (var i = 1; i < arguments.length; i++) if (arguments[i]) parent.appendChild(arguments[i]);
    return parent;
  }
  function link(hash, text) {
    var a = el("a", text);
    a.href = "#" + hash;
    return a;
  }
  function hashFor(o) {
    var parts = [];
    ["task", "config", "level"].forEach(function (k) {
      if (o[k] !== null && o[k] !== undefined) parts.push(k + "=" + encodeURIComponent(o[k]));
    });
    return parts.join("&");
  }
  function readHash() {
    var h = location.hash.replace(/^#/, "");
    state.task = null; state.config = null;
    h.split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i < 0) return;
      var k = kv.slice(0, i), v;
      try { v = decodeURIComponent(kv.slice(i + 1)); } catch (e) { return; }
      if (k === "task") state.task = v;
      else if (k === "config") state.config = v;
      else if (k === "level" && LV.indexOf(v) >= 0) state.level = v;
    });
  }
  var li = function () { return LV.indexOf(state.level); };
  function outcomeOf(g) {
    var lab = 0, res = 0;
    g.runs.forEach(function (r) { if (r.r !== null) { lab++; if (r.r) res++; } });
    return { lab: lab, res: res,
             mix: lab === 0 ? "unlabelled" : res === lab ? "all" : res === 0 ? "none" : "mixed" };
  }
  function pct(x) { return x === null || x === undefined ? "\u2013" : x.toFixed(1); }
  function shade(rate) {
    // success rate as colour (red, pale yellow at 0.5, blue); unlabelled is grey
    if (rate === null) return "#d9d9d9";
    var stops = [[0, [215, 48, 39]], [0.5, [255, 255, 191]], [1, [69, 117, 180]]];
    for (var i = 1; i < stops.length; i++) {
      if (rate <= stops[i][0]) {
        var a = stops[i - 1], b = stops[i], t = (rate - a[0]) / (b[0] - a[0]);
        return "rgb(" + [0, 1, 2].map(function (k) { return Math.round(a[1][k] + t * (b[1][k] - a[1][k])); }).join(",") + ")";
      }
    }
    return "rgb(69,117,180)";
  }

  function controls() {
    var box = el("div", null, "controls");
    var lvl = el("select"); lvl.id = "level";
    LV.forEach(function (l) { var o = el("option", l); o.value = l; if (l === state.level) o.selected = true; lvl.appendChild(o); });
    lvl.onchange = function () { state.level = lvl.value; location.hash = hashFor(state); };
    add(box, el("label", "level "), lvl);
    return box;
  }

  function taskTable() {
    var wrap = el("div");
    var bar = controls();
    var cfg = el("select"); cfg.id = "filter-config";
    add(cfg, el("option", "every configuration"));
    cfg.firstChild.value = "";
    D.configs.forEach(function (c) { var o = el("option", c); o.value = c; cfg.appendChild(o); });
    cfg.value = state.cfg;
    var out = el("select"); out.id = "filter-outcome";
    [["", "any outcome"], ["all", "all resolved"], ["mixed", "mixed"], ["none", "none resolved"], ["unlabelled", "unlabelled"]]
      .forEach(function (p) { var o = el("option", p[1]); o.value = p[0]; out.appendChild(o); });
    out.value = state.outcome;
    var dv = el("select"); dv.id = "filter-diverged";
    [["", "diverged or not"], ["yes", "diverged"], ["no", "never diverged"]]
      .forEach(function (p) { var o = el("option", p[1]); o.value = p[0]; dv.appendChild(o); });
    dv.value = state.diverged;
    var q = el("input"); q.id = "search"; q.type = "search"; q.placeholder = "search task ids"; q.value = state.q;
    add(bar, cfg, out, dv, q);
    var count = el("span", "", "count");
    add(bar, count);
    var table = el("table", null, "tasks"); table.id = "tasks";
    var head = el("tr");
    [["task", "task"], ["config", "configuration"], ["runs", "runs"], ["resolved", "resolved / labelled"],
     ["fd", "first divergence step"], ["ns", "strategies"], ["cv", "CV of steps %"]].forEach(function (c) {
      var th = el("th", c[1] + (state.sort === c[0] ? (state.desc ? " \u25bc" : " \u25b2") : ""));
      th.dataset.key = c[0];
      th.onclick = function () {
        state.desc = state.sort === c[0] ? !state.desc : false; state.sort = c[0]; draw();
      };
      head.appendChild(th);
    });
    var thead = el("thead"); thead.appendChild(head);
    var body = el("tbody");
    add(table, thead, body);
    function fill() {
      while (body.firstChild) body.removeChild(body.firstChild);
      var L = li(), needle = state.q.toLowerCase();
      var rows = D.groups.filter(function (g) {
        var o = outcomeOf(g);
        if (state.cfg && D.configs[g.c] !== state.cfg) return false;
        if (state.outcome && o.mix !== state.outcome) return false;
        if (state.diverged === "yes" && g.fd[L] === null) return false;
        if (state.diverged === "no" && g.fd[L] !== null) return false;
        return !needle || g.t.toLowerCase().indexOf(needle) >= 0;
      });
      var key = function (g) {
        switch (state.sort) {
          case "config": return D.configs[g.c];
          case "runs": return g.runs.length;
          case "resolved": var o = outcomeOf(g); return o.lab ? o.res / o.lab : -1;
          case "fd": return g.fd[L] === null ? Infinity : g.fd[L];
          case "ns": return g.ns === null ? -1 : g.ns;
          case "cv": return g.cv === null ? -1 : g.cv;
          default: return g.t;
        }
      };
      rows.sort(function (a, b) {
        var x = key(a), y = key(b), c = x < y ? -1 : x > y ? 1 : 0;
        if (c === 0) c = a.t < b.t ? -1 : a.t > b.t ? 1 : a.c - b.c;
        return state.desc ? -c : c;
      });
      rows.forEach(function (g) {
        var o = outcomeOf(g), tr = el("tr");
        tr.dataset.task = g.t; tr.dataset.config = D.configs[g.c];
        var td = el("td"); td.appendChild(link(hashFor({ task: g.t, config: D.configs[g.c], level: state.level }), g.t));
        var tdc = el("td"); tdc.appendChild(link(hashFor({ task: g.t, level: state.level }), D.configs[g.c]));
        tdc.title = "this task across configurations";
        add(tr, td, tdc, el("td", g.runs.length), el("td", o.res + " / " + o.lab),
            el("td", g.fd[L] === null ? "never" : g.fd[L]), el("td", g.ns === null ? "\u2013" : g.ns), el("td", pct(g.cv)));
        body.appendChild(tr);
      });
      count.textContent = rows.length + " of " + D.groups.length + " groups";
    }
    [cfg, out, dv].forEach(function (s) {
      s.onchange = function () { state.cfg = cfg.value; state.outcome = out.value; state.diverged = dv.value; fill(); };
    });
    q.oninput = function () { state.q = q.value; fill(); };
    fill();
    return add(wrap, bar, table);
  }

  function cellText(step, L) { return S[step[2 + L]]; }

  function runsTable(groups) {
    // columns: every run of the given groups; row k: each run's k-th shown step at the level
    var L = li(), cols = [];
    groups.forEach(function (g) { g.runs.forEach(function (r) { cols.push({ g: g, r: r }); }); });
    var table = el("table", null, "side"); table.id = "runs";
    if (groups.length > 1) {
      var top = el("tr"); top.appendChild(el("th", ""));
      groups.forEach(function (g) { var th = el("th", D.configs[g.c]); th.colSpan = g.runs.length; top.appendChild(th); });
      table.appendChild(top);
    }
    var head = el("tr"); head.appendChild(el("th", "step"));
    cols.forEach(function (c) {
      var th = el("th");
      var lab = c.r.r === null ? "no label" : c.r.r ? "resolved" : "failed";
      add(th, el("div", "run " + (c.r.i === null ? "?" : c.r.i)), el("small", c.r.id), el("div", lab, "o" + (c.r.r === null ? "" : c.r.r ? "1" : "0")),
          el("small", c.r.n + " steps" + (c.r.s === null || c.r.s === undefined ? "" : ", strategy " + c.r.s)));
      head.appendChild(th);
    });
    table.appendChild(head);
    var depth = Math.max.apply(null, cols.map(function (c) { return c.r.a.length; }).concat([0]));
    for (var k = 0; k < depth; k++) {
      var tr = el("tr"); tr.dataset.step = k + 1;
      var counts = {};
      cols.forEach(function (c) { var s = c.r.a[k]; if (s) { var t = cellText(s, L); counts[t] = (counts[t] || 0) + 1; } });
      var top = Object.keys(counts).sort(function (a, b) { return counts[b] - counts[a]; })[0];
      var divHere = false;
      tr.appendChild(el("td", k + 1, "num"));
      cols.forEach(function (c) {
        var s = c.r.a[k];
        if (!s) { tr.appendChild(el("td", "\u00b7", "gap")); return; }
        var td = el("td", null, cellText(s, L) === top ? "" : "odd");
        if (c.g.fd[L] === k + 1) { td.className += " div"; divHere = true; }
        var code = el("code", cellText(s, L) + (L === 0 && s[1] ? " \u2026" : ""));
        if (L !== 4) add(td, el("span", S[s[6]], "ph"));
        add(td, code);
        tr.appendChild(td);
      });
      if (divHere) tr.className = "div";
      table.appendChild(tr);
    }
    return table;
  }

  function branches(g) {
    // the runs' prefix tree at the level: chains without a split are one line, each branch
    // with its runs and success rate
    var L = li(), rootN = { kids: {}, order: [], runs: [] };
    g.runs.forEach(function (r, ri) {
      var n = rootN; n.runs.push(ri);
      r.a.forEach(function (s) {
        var t = cellText(s, L);
        if (!n.kids[t]) { n.kids[t] = { kids: {}, order: [], runs: [], label: t }; n.order.push(t); }
        n = n.kids[t]; n.runs.push(ri);
      });
    });
    function rate(runs) {
      var lab = 0, res = 0;
      runs.forEach(function (i) { var o = g.runs[i].r; if (o !== null) { lab++; if (o) res++; } });
      return lab ? res / lab : null;
    }
    function walk(n, depth) {
      var ul = el("ul");
      n.order.forEach(function (t) {
        var c = n.kids[t], chain = [t], steps = 1;
        while (c.order.length === 1 && c.kids[c.order[0]].runs.length === c.runs.length) {
          c = c.kids[c.order[0]]; chain.push(c.label); steps++;
        }
        var r = rate(c.runs), item = el("li");
        var sw = el("span", "", "sw"); sw.style.background = shade(r);
        var txt = "steps " + (depth + 1) + (steps > 1 ? "\u2013" + (depth + steps) : "") + ": " +
          (chain.length > 3 ? chain.slice(0, 2).join(" \u2192 ") + " \u2192 \u2026 (" + (chain.length - 2) + " more) \u2192 " + chain[chain.length - 1] : chain.join(" \u2192 "));
        add(item, sw, el("code", txt), el("small", " " + c.runs.length + " run" + (c.runs.length > 1 ? "s" : "") +
          ", " + (r === null ? "no label" : Math.round(100 * r) + "% resolved")));
        if (c.order.length) item.appendChild(walk(c, depth + steps));
        ul.appendChild(item);
      });
      return ul;
    }
    var box = el("div", null, "branches"); box.id = "branches";
    add(box, el("h3", "Branches at the " + state.level + " level"),
        el("p", "Each line is a stretch of steps the runs through it share; a split starts a new line below. Colour: share resolved (red 0, pale yellow 0.5, blue 1; grey: no label).", "note"),
        walk(rootN, 0));
    return box;
  }

  function notes(groups) {
    var p = el("p", null, "note"), cut = 0, hidden = 0;
    groups.forEach(function (g) { g.runs.forEach(function (r) { hidden += r.hidden; r.a.forEach(function (s) { cut += s[1]; }); }); });
    var parts = ["Row k shows each run's k-th step at the chosen level; a highlighted cell is the group's first divergence, a tinted one differs from the most common action in its row."];
    if (cut) parts.push(cut + " action(s) longer than " + D.action_chars + " characters are shortened (\u2026); steps.parquet holds the full text.");
    if (hidden) parts.push(hidden + " step(s) whose output could not be parsed are not shown (left out of divergence; listed in steps.parquet with format_error).");
    p.textContent = parts.join(" ");
    return p;
  }

  function groupView() {
    var L = li();
    var g = D.groups.filter(function (x) { return x.t === state.task && D.configs[x.c] === state.config; })[0];
    var view = el("section"); view.id = "view";
    if (!g) { add(view, el("p", "No group with this task and configuration in this report."), link(hashFor({ level: state.level }), "all tasks")); return view; }
    view.dataset.task = g.t; view.dataset.config = D.configs[g.c]; view.dataset.level = state.level;
    var o = outcomeOf(g);
    add(view, link(hashFor({ level: state.level }), "\u2190 all tasks"), el("h3", g.t),
        el("p", D.configs[g.c] + " \u00b7 " + g.runs.length + " runs \u00b7 " + o.res + " of " + o.lab + " labelled runs resolved \u00b7 " +
          (g.fd[L] === null ? "the runs never diverge at the " + state.level + " level" : "first divergence at step " + g.fd[L] + " (" + state.level + " level)")),
        link(hashFor({ task: g.t, level: state.level }), "this task across configurations"),
        controls(), notes([g]));
    var scroll = el("div", null, "scroll"); scroll.appendChild(runsTable([g]));
    add(view, scroll, branches(g));
    return view;
  }

  function acrossView() {
    var gs = D.groups.filter(function (x) { return x.t === state.task; });
    var view = el("section"); view.id = "view";
    view.dataset.task = state.task; view.dataset.level = state.level;
    add(view, link(hashFor({ level: state.level }), "\u2190 all tasks"), el("h3", state.task + " across configurations"));
    if (!gs.length) { view.appendChild(el("p", "No group with this task in this report.")); return view; }
    var list = el("ul");
    gs.forEach(function (g) {
      var o = outcomeOf(g), item = el("li");
      add(item, link(hashFor({ task: g.t, config: D.configs[g.c], level: state.level }), D.configs[g.c]),
          el("span", ": " + g.runs.length + " runs, " + o.res + " of " + o.lab + " resolved, first divergence " + (g.fd[li()] === null ? "never" : "at step " + g.fd[li()])));
      list.appendChild(item);
    });
    var scroll = el("div", null, "scroll"); scroll.appendChild(runsTable(gs));
    add(view, list, controls(), notes(gs), scroll);
    return view;
  }

  function inputs() {
    var box = el("div"); box.id = "inputs";
    add(box, el("h3", D.skipped.length + " file(s) skipped"));
    if (D.skipped.length) {
      var t = el("table"); add(t, add(el("tr"), el("th", "file"), el("th", "kind"), el("th", "reason")));
      D.skipped.forEach(function (s) { t.appendChild(add(el("tr"), el("td", s.file), el("td", s.kind), el("td", s.reason))); });
      box.appendChild(t);
    }
    add(box, el("h3", D.warnings.length + " warning(s)"));
    if (D.warnings.length) {
      var w = el("table"); add(w, add(el("tr"), el("th", "file"), el("th", "warning")));
      D.warnings.forEach(function (s) { w.appendChild(add(el("tr"), el("td", s.file), el("td", s.text))); });
      box.appendChild(w);
    }
    return box;
  }

  function draw() {
    while (root.firstChild) root.removeChild(root.firstChild);
    if (state.task !== null && state.config !== null) root.appendChild(groupView());
    else if (state.task !== null) root.appendChild(acrossView());
    else root.appendChild(taskTable());
    var inp = document.getElementById("inputs-list");
    if (inp && !inp.firstChild) inp.appendChild(inputs());
  }

  window.addEventListener("hashchange", function () { readHash(); draw(); if (state.task !== null) root.scrollIntoView(); });
  readHash();
  draw();
  if (state.task !== null) root.scrollIntoView();
  document.documentElement.dataset.ready = String(Math.round(performance.now()));
})();
