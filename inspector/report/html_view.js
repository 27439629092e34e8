// tfinspect graph view: pan/zoom, search, details, open and close boxes.
// Plain DOM code, no library and no network.  Text from the model is only ever
// set with textContent; the SVGs come from Graphviz, which escapes their text.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("data").textContent);
  const canvas = document.getElementById("canvas");
  const details = document.getElementById("details");
  const results = document.getElementById("results");
  const crumbs = document.getElementById("crumbs");
  const search = document.getElementById("search");
  let current = -1, svg = null, scale = 1, tx = 0, ty = 0;

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }

  function apply() {
    if (svg) svg.style.transform = `translate(${tx}px,${ty}px) scale(${scale})`;
  }

  function fit() {
    if (!svg) return;
    const w = svg.width.baseVal.value, h = svg.height.baseVal.value;
    scale = Math.min(canvas.clientWidth / w, canvas.clientHeight / h, 1.5);
    if (h * scale < canvas.clientHeight / 3 || w * scale < 200) scale = Math.min(canvas.clientWidth / w, 1.5);
    tx = (canvas.clientWidth - w * scale) / 2;
    ty = 10;
    apply();
  }

  function show(index) {
    const level = data.levels[index];
    current = index;
    const doc = new DOMParser().parseFromString(level.svg, "image/svg+xml");
    svg = document.importNode(doc.documentElement, true);
    canvas.replaceChildren(svg);
    svg.querySelectorAll("g.node").forEach(function (g) {
      const id = g.querySelector("title").textContent;
      const key = level.nodes[id];
      if (key === undefined) return;
      g.dataset.key = key;
      if (level.expand[id] !== undefined) g.classList.add("expandable");
      g.addEventListener("click", function (event) { event.stopPropagation(); select(g); });
      g.addEventListener("dblclick", function (event) {
        event.stopPropagation();
        if (level.expand[id] !== undefined) show(level.expand[id]);
      });
    });
    crumbs.replaceChildren();
    const trail = [];
    for (let i = index; i !== null && i !== undefined; i = data.levels[i].parent) trail.unshift(i);
    trail.forEach(function (i) {
      const button = el("button", data.levels[i].key === null ? data.title : data.levels[i].title);
      button.addEventListener("click", function () { show(i); });
      crumbs.appendChild(button);
    });
    fit();
  }

  function select(g) {
    svg.querySelectorAll(".hit").forEach(function (n) { n.classList.remove("hit"); });
    g.classList.add("hit");
    describe(g.dataset.key, g);
  }

  function list(title, items) {
    const box = el("div");
    if (!items || !items.length) return box;
    box.appendChild(el("h4", title));
    items.forEach(function (item) { box.appendChild(el("div", item, "mono")); });
    return box;
  }

  function describe(key, g) {
    const info = data.details[key] || {name: key, kind: "box", op: "", inputs: [], outputs: []};
    details.replaceChildren(el("h3", info.name, "mono"), el("div", `${info.kind}: ${info.op}`));
    details.id = "details";
    const level = data.levels[current];
    const id = g ? g.querySelector("title").textContent : null;
    if (id && level.expand[id] !== undefined) {
      const open = el("button", "open");
      open.id = "open";
      open.addEventListener("click", function () { show(level.expand[id]); });
      details.appendChild(open);
    }
    if (info.count) details.appendChild(el("div", `${info.count} nodes`));
    details.appendChild(list("weights", info.weights));
    details.appendChild(list("inputs", info.inputs));
    details.appendChild(list("outputs", info.outputs));
    if (info.attrs && info.attrs.length) {
      details.appendChild(el("h4", "attributes"));
      const table = el("table");
      info.attrs.forEach(function (pair) {
        const row = el("tr");
        row.appendChild(el("td", pair[0], "mono"));
        row.appendChild(el("td", pair[1], "mono"));
        table.appendChild(row);
      });
      details.appendChild(table);
    }
    (info.ops || []).forEach(function (op) {
      details.appendChild(el("h4", `${op.name} (${op.op})`, "mono"));
      details.appendChild(list("inputs", op.inputs));
      details.appendChild(list("outputs", op.outputs));
      details.appendChild(list("weights", op.weights));
      if (op.attrs && op.attrs.length) details.appendChild(el("h4", "attributes"));
      (op.attrs || []).forEach(function (pair) { details.appendChild(el("div", `${pair[0]} = ${pair[1]}`, "mono")); });
    });
  }

  function reveal(levelIndex, nodeId) {
    if (levelIndex !== current) show(levelIndex);
    svg.querySelectorAll("g.node").forEach(function (g) {
      if (g.querySelector("title").textContent !== nodeId) return;
      select(g);
      const box = g.getBoundingClientRect(), whole = svg.getBoundingClientRect();
      const cx = (box.left + box.width / 2 - whole.left) / scale;
      const cy = (box.top + box.height / 2 - whole.top) / scale;
      scale = Math.max(scale, 0.8);
      tx = canvas.clientWidth / 2 - cx * scale;
      ty = canvas.clientHeight / 2 - cy * scale;
      apply();
    });
  }

  function find(text) {
    results.replaceChildren();
    const needle = text.trim().toLowerCase();
    if (!needle) return;
    let count = 0;
    data.levels.forEach(function (level, index) {
      Object.keys(level.nodes).forEach(function (id) {
        const key = level.nodes[id], info = data.details[key] || {};
        const ops = (info.ops || []).map(function (o) { return `${o.name} ${o.op}`; }).join(" ");
        const hay = `${key} ${info.op || ""} ${ops}`.toLowerCase();
        if (count >= 200 || hay.indexOf(needle) < 0) return;
        count += 1;
        const row = el("div", `${key} — ${info.op || ""}${level.key === null ? "" : " (in " + level.title + ")"}`);
        row.className = "result";
        row.addEventListener("click", function () { reveal(index, id); });
        results.appendChild(row);
      });
    });
    if (!count) results.appendChild(el("div", "no match"));
  }

  let dragging = null;
  canvas.addEventListener("mousedown", function (e) { dragging = [e.clientX - tx, e.clientY - ty]; });
  window.addEventListener("mouseup", function () { dragging = null; });
  window.addEventListener("mousemove", function (e) {
    if (!dragging) return;
    tx = e.clientX - dragging[0];
    ty = e.clientY - dragging[1];
    apply();
  });
  canvas.addEventListener("wheel", function (e) {
    e.preventDefault();
    const rect = canvas.getBoundingClientRect(), x = e.clientX - rect.left, y = e.clientY - rect.top;
    const factor = Math.exp(-e.deltaY * 0.0015);
    tx = x - (x - tx) * factor;
    ty = y - (y - ty) * factor;
    scale *= factor;
    apply();
  }, {passive: false});
  document.getElementById("fit").addEventListener("click", fit);
  search.addEventListener("input", function () { find(search.value); });
  search.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && results.firstChild && results.firstChild.click) results.firstChild.click();
  });
  show(0);
  document.body.dataset.ready = "true";
})();
