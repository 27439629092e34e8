// The interactive graph page: lays out one level of the box tree at a time with dagre.
// Data (see html.py): names, parent, label, cat, op, outs, weights per box; edges as
// [src, dst, tensor] triples between ops.  Every string is set with textContent.
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("data").textContent);
  const N = D.names.length;
  const SVG = "http://www.w3.org/2000/svg";
  const canvas = document.getElementById("canvas");
  const children = new Map();
  for (let i = 0; i < N; i++) {
    const p = D.parent[i];
    if (!children.has(p)) children.set(p, []);
    children.get(p).push(i);
  }
  let level = -1, view = {x: 0, y: 0, k: 1}, svg = null, root = null, size = {w: 1, h: 1};

  function el(tag, attrs, parent) {
    const e = document.createElementNS(SVG, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }

  // The child of `top` on the way up from box i, or -2 when i is not inside `top`.
  function under(i, top) {
    while (i >= 0 && D.parent[i] !== top) i = D.parent[i];
    return i >= 0 ? i : (top === -1 ? i : -2);
  }

  function draw(top, focus) {
    level = top;
    const kids = children.get(top) || [];
    const g = new dagre.graphlib.Graph({multigraph: false});
    g.setGraph({rankdir: "TB", nodesep: 18, ranksep: 28, marginx: 10, marginy: 10});
    g.setDefaultEdgeLabel(() => ({}));
    for (const i of kids) {
      const lines = D.label[i].split("\n");
      const width = Math.max(...lines.map((s) => s.length)) * 6 + 16;
      g.setNode(String(i), {width: Math.min(width, 500), height: lines.length * 13 + 8, lines: lines});
    }
    const E = D.edges, seen = new Map();
    for (let e = 0; e < E.length; e += 3) {
      const a = under(E[e], top), b = under(E[e + 1], top);
      if (a < 0 || b < 0 || a === b) continue;
      const key = a + ">" + b;
      if (!seen.has(key)) seen.set(key, new Set());
      seen.get(key).add(D.tensors[E[e + 2]]);
    }
    for (const [key, tensors] of seen) {
      const [a, b] = key.split(">");
      const shapes = [...new Set([...tensors].map((t) => t.slice(t.lastIndexOf(" ") + 1)))];
      g.setEdge(a, b, {label: shapes.length > 1 ? tensors.size + " tensors" : shapes[0]});
    }
    dagre.layout(g);
    canvas.textContent = "";
    svg = el("svg", {}, canvas);
    root = el("g", {}, svg);
    const edges = el("g", {}, root);
    for (const e of g.edges()) {
      const info = g.edge(e), pts = info.points;
      const grp = el("g", {class: "edge"}, edges);
      el("path", {d: "M" + pts.map((p) => p.x + "," + p.y).join("L")}, grp);
      const end = pts[pts.length - 1], prev = pts[pts.length - 2] || end;
      const ang = Math.atan2(end.y - prev.y, end.x - prev.x);
      const tip = [[end.x, end.y], [end.x - 6 * Math.cos(ang - 0.4), end.y - 6 * Math.sin(ang - 0.4)],
        [end.x - 6 * Math.cos(ang + 0.4), end.y - 6 * Math.sin(ang + 0.4)]];
      el("polygon", {points: tip.map((p) => p.join(",")).join(" "), fill: "#777"}, grp);
      if (info.label) {
        const mid = pts[Math.floor(pts.length / 2)];
        el("text", {x: mid.x + 4, y: mid.y}, grp).textContent = info.label;
      }
    }
    for (const id of g.nodes()) {
      const n = g.node(id), i = Number(id), group = children.has(i);
      const box = el("g", {class: "node" + (group ? " group" : ""), "data-key": D.names[i],
        "data-index": id, transform: `translate(${n.x - n.width / 2},${n.y - n.height / 2})`}, root);
      el("rect", {width: n.width, height: n.height, rx: group ? 6 : 2, fill: D.colours[D.cat[i]]}, box);
      n.lines.forEach((line, k) => {
        const t = el("text", {x: n.width / 2, y: 14 + 13 * k, "text-anchor": "middle"}, box);
        t.textContent = line;
      });
      box.addEventListener("click", (ev) => { ev.stopPropagation(); details(i); });
      if (group) box.addEventListener("dblclick", (ev) => { ev.stopPropagation(); draw(i); });
    }
    const graph = g.graph();
    size = {w: graph.width || 1, h: graph.height || 1};
    crumbs();
    if (focus !== undefined) centre(focus); else fit();
  }

  function apply() { root.setAttribute("transform", `translate(${view.x},${view.y}) scale(${view.k})`); }

  function fit() {
    const w = canvas.clientWidth || 800, h = canvas.clientHeight || 600;
    view.k = Math.min(1.5, w / size.w, h / size.h);
    view.x = (w - size.w * view.k) / 2;
    view.y = Math.max(0, (h - size.h * view.k) / 2);
    apply();
  }

  function centre(i) {
    const box = canvas.querySelector(`g.node[data-index="${i}"]`);
    if (!box) return fit();
    box.classList.add("hit");
    const m = /translate\(([-\d.e]+),([-\d.e]+)\)/.exec(box.getAttribute("transform"));
    view.k = 1;
    view.x = canvas.clientWidth / 2 - Number(m[1]);
    view.y = canvas.clientHeight / 2 - Number(m[2]);
    apply();
  }

  function crumbs() {
    const bar = document.getElementById("crumbs");
    bar.textContent = "";
    const path = [];
    for (let i = level; i >= 0; i = D.parent[i]) path.unshift(i);
    path.unshift(-1);
    for (const i of path) {
      const b = document.createElement("button");
      b.textContent = i < 0 ? "top" : D.names[i].slice(D.names[i].lastIndexOf("/", D.names[i].length - 2) + 1);
      b.addEventListener("click", () => draw(i));
      bar.appendChild(b);
    }
  }

  function inside(i, top) { while (i >= 0 && i !== top) i = D.parent[i]; return i === top; }

  function details(i) {
    const panel = document.getElementById("details");
    panel.textContent = "";
    const add = (tag, text, cls) => {
      const e = document.createElement(tag);
      e.textContent = text;
      if (cls) e.className = cls;
      panel.appendChild(e);
      return e;
    };
    add("h3", D.names[i]);
    const group = children.has(i);
    const inputs = new Set(), outputs = new Set(), E = D.edges;
    for (let e = 0; e < E.length; e += 3) {
      const a = inside(E[e], i), b = inside(E[e + 1], i);
      if (b && !a) inputs.add(D.tensors[E[e + 2]]);
      if (a && !b) outputs.add(D.tensors[E[e + 2]]);
    }
    if (!group) {
      add("div", "op: " + D.op[i]);
      outputs.clear();
      for (const o of D.outs[i].split("\n")) if (o) outputs.add(o);
    }
    const list = (title, items) => {
      if (!items.length) return;
      add("h4", title);
      add("div", items.join("\n"), "mono");
    };
    list("inputs", [...inputs].slice(0, 200));
    list("outputs", [...outputs].slice(0, 200));
    if (group) {
      const weights = [], ops = [];
      const stack = [...children.get(i)];
      while (stack.length && ops.length < 500) {
        const k = stack.pop();
        if (children.has(k)) stack.push(...children.get(k));
        else {
          ops.push(D.names[k].slice(D.names[k].lastIndexOf("/") + 1) + ": " + D.op[k]);
          if (D.weights[k]) weights.push(...D.weights[k].split("\n"));
        }
      }
      list("weights", [...new Set(weights)].slice(0, 200));
      list("ops", ops.reverse());
    } else {
      list("weights", D.weights[i] ? D.weights[i].split("\n") : []);
    }
  }

  function search(text) {
    const out = document.getElementById("results");
    out.textContent = "";
    const q = text.trim().toLowerCase();
    if (!q) return;
    let shown = 0;
    for (let i = 0; i < N && shown < 50; i++) {
      if (D.names[i].toLowerCase().includes(q) || D.op[i].toLowerCase() === q) {
        const r = document.createElement("div");
        r.className = "result";
        r.textContent = D.names[i] + (D.op[i] ? "  (" + D.op[i] + ")" : "");
        r.addEventListener("click", () => { draw(D.parent[i], i); details(i); });
        out.appendChild(r);
        shown++;
      }
    }
  }

  let drag = null;
  canvas.addEventListener("mousedown", (e) => { drag = {x: e.clientX - view.x, y: e.clientY - view.y}; });
  window.addEventListener("mouseup", () => { drag = null; });
  window.addEventListener("mousemove", (e) => {
    if (drag) { view.x = e.clientX - drag.x; view.y = e.clientY - drag.y; apply(); }
  });
  canvas.addEventListener("wheel", (e) => {
    e.preventDefault();
    const f = Math.exp(-e.deltaY / 500), r = canvas.getBoundingClientRect();
    const mx = e.clientX - r.left, my = e.clientY - r.top;
    view.x = mx - (mx - view.x) * f;
    view.y = my - (my - view.y) * f;
    view.k *= f;
    apply();
  }, {passive: false});
  document.getElementById("fit").addEventListener("click", fit);
  document.getElementById("search").addEventListener("input", (e) => search(e.target.value));
  document.getElementById("notes").textContent = D.notes.join("\n");
  draw(-1);
  document.body.dataset.ready = "1";
})();
