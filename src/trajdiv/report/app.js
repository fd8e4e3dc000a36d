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
  var SVGNS = "http://www.w3.org/2000/svg";
  var SEQ_COLOURS = ["#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377", "#EE7733", "#332288", "#DDCC77", "#117733", "#CC6677"];
  function svgEl(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    return e;
  }

  function sequenceIndex(g) {
    // one row per run, one cell per step coloured by its action at the level; rows ordered so
    // that shared prefixes sit together; a line at the first divergence; the outcome at the end
    var L = li(), rank = {}, counts = {};
    var seqs = g.runs.map(function (r) { return r.a.map(function (s) { return cellText(s, L); }); });
    seqs.forEach(function (q) { q.forEach(function (a) { if (!(a in rank)) rank[a] = Object.keys(rank).length; counts[a] = (counts[a] || 0) + 1; }); });
    var order = seqs.map(function (_, i) { return i; }).sort(function (i, j) {
      var a = seqs[i], b = seqs[j];
      for (var k = 0; k < Math.min(a.length, b.length); k++) if (a[k] !== b[k]) return rank[a[k]] - rank[b[k]];
      return a.length - b.length || i - j;
    });
    var top = Object.keys(counts).sort(function (a, b) { return counts[b] - counts[a] || rank[a] - rank[b]; }).slice(0, SEQ_COLOURS.length);
    var colour = {}; top.forEach(function (a, i) { colour[a] = SEQ_COLOURS[i]; });
    var cw = 9, ch = 12, width = Math.max.apply(null, seqs.map(function (q) { return q.length; }).concat([1]));
    var svg = svgEl("svg", { width: (width + 3) * cw, height: order.length * ch + 4, role: "img" });
    svg.id = "sequence";
    order.forEach(function (i, row) {
      seqs[i].forEach(function (a, k) {
        var r = svgEl("rect", { x: k * cw, y: row * ch, width: cw - 1, height: ch - 2, fill: colour[a] || "#E0E0E0" });
        var t = svgEl("title"); t.textContent = "run " + g.runs[i].id + ", step " + (k + 1) + ": " + a; r.appendChild(t);
        svg.appendChild(r);
      });
      var o = g.runs[i].r, mark = svgEl("text", { x: seqs[i].length * cw + 3, y: row * ch + ch - 3, "font-size": 10, fill: o === null ? "#777" : o ? "#228833" : "#CC3311" });
      mark.textContent = o === null ? "?" : o ? "\u2713" : "\u2717";
      svg.appendChild(mark);
    });
    if (g.fd[L] !== null) svg.appendChild(svgEl("line", { x1: (g.fd[L] - 1) * cw - 0.5, x2: (g.fd[L] - 1) * cw - 0.5, y1: 0, y2: order.length * ch, stroke: "#000", "stroke-width": 1.5 }));
    var box = el("div", null, "seq"); box.id = "sequence-box";
    var legend = el("p", null, "note");
    top.forEach(function (a) { var sw = el("span", "", "sw"); sw.style.background = colour[a]; add(legend, sw, el("code", a + "  ")); });
    if (Object.keys(counts).length > top.length) { var sw = el("span", "", "sw"); sw.style.background = "#E0E0E0"; add(legend, sw, el("code", "other")); }
    add(box, el("h3", "Sequence index at the " + state.level + " level"),
        el("p", "One row per run, one cell per step; rows that share a prefix sit together; the black line is the first divergence; \u2713 resolved, \u2717 failed, ? no label.", "note"),
        svg, legend);
    return box;
  }

  function spineGraph(g) {
    // the branching graph as drawn for the paper figure (computed with the analysis): the
    // reference run as a straight spine, branches in lanes, chains as one edge
    if (!g.gl) return null;
    var G = g.gl, sx = 26, sy = 26, pad = 30;
    var ids = Object.keys(G.pos);
    var xs = ids.map(function (k) { return G.pos[k][0]; }), ys = ids.map(function (k) { return G.pos[k][1]; });
    var x0 = Math.min.apply(null, xs), y1 = Math.max.apply(null, ys), y0 = Math.min.apply(null, ys);
    function X(v) { return pad + (v - x0) * sx; }
    function Y(v) { return pad + (y1 - v) * sy; }
    var svg = svgEl("svg", { width: X(Math.max.apply(null, xs)) + pad, height: Y(y0) + pad, role: "img" });
    svg.id = "graph";
    var maxRuns = Math.max.apply(null, G.edges.map(function (e) { return e[3]; }).concat([1]));
    G.edges.forEach(function (e) {
      var a = G.pos[e[0]], b = G.pos[e[1]], pts;
      if (a[1] !== b[1] && b[1] !== 0 && b[0] >= a[0]) pts = [a, [a[0], b[1]], b];
      else if (a[1] !== 0 && b[1] === 0 && b[0] >= a[0]) pts = [a, [b[0], a[1]], b];
      else pts = [a, b];
      svg.appendChild(svgEl("polyline", { points: pts.map(function (p) { return X(p[0]) + "," + Y(p[1]); }).join(" "),
        fill: "none", stroke: "#888", "stroke-width": 0.8 + 4 * e[3] / maxRuns }));
      if (e[2] > 1) {
        var t = svgEl("text", { x: (X(pts[pts.length - 2][0]) + X(pts[pts.length - 1][0])) / 2, y: Y(pts[pts.length - 1][1]) - 4, "font-size": 9, fill: "#555", "text-anchor": "middle" });
        t.textContent = e[2] + " steps"; svg.appendChild(t);
      }
    });
    ids.forEach(function (k) {
      var n = G.nodes[k], p = G.pos[k];
      var c = svgEl("circle", { cx: X(p[0]), cy: Y(p[1]), r: 3 + Math.sqrt(n[1]) * 2, fill: shade(n[2]), stroke: "#333", "stroke-width": 0.6 });
      var t = svgEl("title"); t.textContent = S[n[0]] + ": " + n[1] + " run(s), " + (n[2] === null ? "no label" : Math.round(100 * n[2]) + "% resolved"); c.appendChild(t);
      svg.appendChild(c);
      if (n[3]) { var lab = svgEl("text", { x: X(p[0]), y: Y(p[1]) - 9, "font-size": 9, "text-anchor": "middle" }); lab.textContent = S[n[0]]; svg.appendChild(lab); }
    });
    var box = el("div", null, "scroll");
    add(box, el("h3", "Branching graph at the " + G.level + " level"),
        el("p", "The reference run is the straight line; branches leave it in order and come back where they merge; a chain is one edge with its length; colour: share resolved (grey: no label)." + (G.folded ? " Rare branches of " + G.folded + " run(s) are folded into 'other'." : ""), "note"), svg);
    return box;
  }

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
    var seq = el("div", null, "scroll"); seq.appendChild(sequenceIndex(g));
    add(view, scroll, seq, spineGraph(g), branches(g));
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
