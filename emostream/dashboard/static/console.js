// The live console: a grid of every wearer and the details of the selected one.
// Data arrive over one WebSocket: a snapshot, then deltas at a fixed rate.
"use strict";

const TOKEN = new URLSearchParams(location.hash.slice(1)).get("token") || "";
const MAX_POINTS = { raw: 1232, other: 720 };
const MAX_EVENTS = 500;
const FEATURE_NAMES = {
  hr_bpm: "heart rate (bpm)", hrv_rmssd_ms: "HRV RMSSD (ms)", eda_scl_us: "SCL (µS)",
  eda_scr_count: "SCRs per window", rsp_rate_bpm: "respiration (breaths/min)",
  temp_c: "skin temperature (°C)", eeg_faa: "frontal alpha asymmetry",
};
const EVENT_COLORS = { "label-request": "#b54708", drift: "#b42318", marker: "#667085", gap: "#98a2b3" };

// Read by the tests and the benchmark: counts, arrival times and window→page latencies.
const app = {
  wearers: new Map(), selected: null, nMessages: 0, arrivalsMs: [], latenciesMs: [],
  lastWindowWall: new Map(), dirty: false,
};
window.emostream = app;

function newWearer(desc) {
  return { desc, traces: {}, events: [], latest: {} };
}

function apply(msg) {
  app.nMessages += 1;
  const now = Date.now();
  app.arrivalsMs.push(now);
  if (app.arrivalsMs.length > 2000) app.arrivalsMs.splice(0, 1000);
  if (msg.type === "snapshot") {
    app.wearers.clear();
    for (const w of msg.wearers) app.wearers.set(w.slot, newWearer({ slot: w.slot, classes: w.classes, span_s: w.span_s }));
  }
  for (const d of msg.wearers) {
    let w = app.wearers.get(d.slot);
    if (!w) { w = newWearer({ slot: d.slot, classes: [], span_s: 120 }); app.wearers.set(d.slot, w); }
    for (const [name, [t, v]] of Object.entries(d.traces)) {
      const tr = w.traces[name] || (w.traces[name] = { t: [], v: [] });
      tr.t.push(...t);
      tr.v.push(...v);
      const cap = name.startsWith("raw:") ? MAX_POINTS.raw : MAX_POINTS.other;
      if (tr.t.length > cap) { tr.t.splice(0, tr.t.length - cap); tr.v.splice(0, tr.v.length - cap); }
    }
    w.events.push(...d.events);
    if (w.events.length > MAX_EVENTS) w.events.splice(0, w.events.length - MAX_EVENTS);
    w.latest = d.latest;
    const win = d.latest.window;
    if (win && msg.type === "delta" && app.lastWindowWall.get(d.slot) !== win.wall_s) {
      app.latenciesMs.push(now - win.wall_s * 1000);
      if (app.latenciesMs.length > 20000) app.latenciesMs.splice(0, 10000);
    }
    if (win) app.lastWindowWall.set(d.slot, win.wall_s);
  }
  if (app.selected === null && app.wearers.size) app.selected = Math.min(...app.wearers.keys());
  if (!app.dirty) { app.dirty = true; requestAnimationFrame(render); }
}

function connect() {
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
  ws.onopen = () => setStatus("live");
  ws.onmessage = (ev) => apply(JSON.parse(ev.data));
  ws.onclose = () => { setStatus("disconnected: the session ended or the server stopped; retrying"); setTimeout(connect, 2000); };
}

function setStatus(text) { document.getElementById("status").textContent = text; }

function el(tag, attrs = {}, text = "") {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
}

// -- the grid -----------------------------------------------------------------------------
function tile(slot) {
  let t = document.getElementById(`tile-${slot}`);
  if (t) return t;
  t = el("div", { id: `tile-${slot}`, class: "tile" });
  t.innerHTML = `<div class="top"><span>wearer ${slot + 1}</span><span class="state"></span></div>
    <div class="nums"><span class="hr"></span><span class="scl"></span><span class="t"></span></div>
    <canvas></canvas><div class="flags"></div>`;
  t.onclick = () => { app.selected = slot; render(); };
  document.getElementById("grid").appendChild(t);
  return t;
}

function renderTile(w) {
  const t = tile(w.desc.slot), L = w.latest, f = L.features || {}, s = L.state || {};
  t.classList.toggle("selected", app.selected === w.desc.slot);
  t.querySelector(".state").textContent = s.state ? `${s.state} ${Math.round((s.confidence || 0) * 100)}%` : "";
  t.querySelector(".hr").textContent = f.hr_bpm !== undefined ? `HR ${fmt(f.hr_bpm)}` : "HR –";
  t.querySelector(".scl").textContent = f.eda_scl_us !== undefined ? `SCL ${fmt(f.eda_scl_us)}` : "";
  t.querySelector(".t").textContent = L.data_s !== null && L.data_s !== undefined ? `${clock(L.data_s)} of data` : "";
  const flags = t.querySelector(".flags");
  flags.innerHTML = "";
  for (const text of L.flags || []) flags.appendChild(el("span", { class: "flag" }, text));
  if (L.ended) flags.appendChild(el("span", {}, "ended"));
  else if (!(L.flags || []).length) flags.appendChild(el("span", { class: "ok" }, "all streams ok"));
  drawChart(t.querySelector("canvas"), [w.traces["feat:hr_bpm"] || { t: [], v: [] }], { labels: false });
}

// -- the selected wearer --------------------------------------------------------------------
function chart(container, id, title) {
  let c = document.getElementById(id);
  if (c) return c;
  c = el("div", { class: "chart", id });
  c.appendChild(el("div", { class: "name" }));
  c.firstChild.appendChild(el("span", {}, title));
  c.firstChild.appendChild(el("span", { class: "value" }));
  c.appendChild(el("canvas"));
  container.appendChild(c);
  return c;
}

function table(id, rows) {
  const t = document.getElementById(id);
  t.innerHTML = "";
  for (const row of rows) {
    const tr = el("tr");
    row.forEach((cell, i) => tr.appendChild(el(i ? "td" : "th", {}, String(cell))));
    t.appendChild(tr);
  }
}

function renderDetail(w) {
  const detail = document.getElementById("detail");
  detail.hidden = false;
  const L = w.latest, slot = w.desc.slot;
  document.getElementById("detail-title").textContent = `wearer ${slot + 1}`;
  const s = L.state || {}, m = L.model;
  document.getElementById("state").textContent = s.state
    ? `${s.state} (confidence ${fmt(s.confidence)})${s.label ? `, label ${s.label}` : ""}` : "no prediction yet";
  document.getElementById("model").textContent = m
    ? `learned ${m.n_learned} windows, scored ${m.n_scored}, balanced accuracy ${fmt(m.balanced_accuracy)}, ` +
      `${m.n_label_requests} label requests, ${m.n_drifts} drifts, ${m.n_unsure} "not sure"` : "";
  const r = L.recording;
  document.getElementById("recording").textContent = r
    ? `${r.path} · consent ${r.consent ? r.consent.join(",") : "n/a"} · ${r.elapsed_s.toFixed(0)} s · ` +
      `${(r.bytes / 1e6).toFixed(1)} MB${r.error ? ` · error: ${r.error}` : ""}` : "not recording";
  const link = L.link;
  document.getElementById("link").textContent = link
    ? `${link.state}, battery ${link.battery_pct ?? "–"} %, RSSI ${link.rssi_dbm ?? "–"} dBm, ${link.n_gaps} outages`
    : "no device link (synthetic, LSL or recording)";
  const vlines = w.events.filter((e) => e.kind === "label-request" || e.kind === "drift" || e.kind === "marker")
    .map((e) => ({ t: e.t_s, color: EVENT_COLORS[e.kind] }));
  const classes = w.desc.classes;
  const series = classes.map((c, k) => ({ ...(w.traces[`p:${c}`] || { t: [], v: [] }), color: COLORS[k % COLORS.length] }));
  series.push({ ...(w.traces.confidence || { t: [], v: [] }), color: "#101828" });
  drawChart(document.getElementById("proba"), series, { yMin: 0, yMax: 1, vlines });
  const legend = document.getElementById("legend");
  legend.innerHTML = "";
  classes.forEach((c, k) => legend.appendChild(el("span", { style: `color:${COLORS[k % COLORS.length]}` }, `p(${c})`)));
  legend.appendChild(el("span", {}, "confidence (black); lines: label requests, drift, markers"));
  for (const [name, tr] of Object.entries(w.traces)) {
    if (name.startsWith("feat:")) {
      const key = name.slice(5);
      const c = chart(document.getElementById("features"), `chart-${name.replace(":", "-")}`, FEATURE_NAMES[key] || key);
      c.querySelector(".value").textContent = fmt(tr.v[tr.v.length - 1]);
      drawChart(c.querySelector("canvas"), [tr], { vlines });
    } else if (name.startsWith("raw:")) {
      const kind = name.slice(4), info = (L.streams || {})[kind] || {};
      const c = chart(document.getElementById("raw"), `chart-${name.replace(":", "-")}`, `${kind} ${info.channel || ""} (${info.unit || ""})`);
      c.querySelector(".value").textContent = info.stale ? "STALE" : `${info.samples} samples`;
      const tEnd = tr.t[tr.t.length - 1];
      drawChart(c.querySelector("canvas"), [tr], { tMin: tEnd - 60, tMax: tEnd });
    }
  }
  const keys = new Set([...Object.keys(L.coverage || {}), ...Object.keys(L.quality || {}), ...Object.keys(L.staleness_s || {})]);
  table("quality", [["", "coverage", "quality", "staleness (s)"],
    ...[...keys].sort().map((k) => [k, fmt((L.coverage || {})[k]), fmt((L.quality || {})[k]), fmt((L.staleness_s || {})[k])])]);
  const presets = document.getElementById("presets");
  if (presets.dataset.slot !== String(slot)) {
    presets.dataset.slot = String(slot);
    presets.innerHTML = "";
    for (const c of classes) {
      for (const edge of ["start", "end"]) {
        const b = el("button", { type: "button" }, `phase:${c}:${edge}`);
        b.onclick = () => sendMarker(b.textContent);
        presets.appendChild(b);
      }
    }
  }
  const events = document.getElementById("events");
  events.innerHTML = "";
  for (const e of w.events.slice(-40).reverse()) events.appendChild(el("div", {}, `${e.t_s.toFixed(1)} s  ${e.kind}  ${e.text}`));
}

function render() {
  app.dirty = false;
  for (const w of app.wearers.values()) renderTile(w);
  const w = app.wearers.get(app.selected);
  if (w) renderDetail(w);
}

// -- writing a marker -------------------------------------------------------------------
async function sendMarker(text) {
  const out = document.getElementById("marker-message");
  out.className = "message";
  try {
    const r = await fetch(`/api/wearers/${app.selected}/markers`, {
      method: "POST", headers: { "Content-Type": "application/json", Authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ marker: text }),
    });
    const body = await r.json();
    if (!r.ok) throw new Error(body.error);
    out.textContent = `sent ${body.markers[0]} at ${body.t_s.toFixed(1)} s`;
  } catch (err) {
    out.className = "message error";
    out.textContent = String(err.message || err);
  }
}

document.getElementById("marker-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const input = document.getElementById("marker-text");
  sendMarker(input.value).then(() => { input.value = ""; });
});
if (!TOKEN) document.getElementById("marker-message").textContent = "read-only: open the link with the token to add markers";
connect();

/** Seconds as m:ss (h:mm:ss from an hour). */
function clock(seconds) {
  const s = Math.floor(seconds), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}
