// Line charts on <canvas>: a few series against time, with vertical event lines. No library.
"use strict";

const COLORS = ["#2457c5", "#b42318", "#12805c", "#b54708", "#7a5af8", "#0e7090", "#c11574"];

// Size the canvas's backing store to its displayed size; returns the 2-D context.
function fitCanvas(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(canvas.clientWidth * ratio));
  const h = Math.max(1, Math.round(canvas.clientHeight * ratio));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, canvas.clientWidth, canvas.clientHeight);
  return ctx;
}

// series: [{t: [...], v: [...], color}]; opts: {tMin, tMax, yMin, yMax, vlines: [{t, color}], labels}
function drawChart(canvas, series, opts = {}) {
  const ctx = fitCanvas(canvas);
  const w = canvas.clientWidth, h = canvas.clientHeight, pad = 3;
  let tMin = opts.tMin, tMax = opts.tMax, yMin = opts.yMin, yMax = opts.yMax;
  for (const s of series) {
    const n = s.t.length;
    if (!n) continue;
    if (opts.tMin === undefined) tMin = Math.min(tMin ?? Infinity, s.t[0]);
    if (opts.tMax === undefined) tMax = Math.max(tMax ?? -Infinity, s.t[n - 1]);
    if (opts.yMin === undefined || opts.yMax === undefined) {
      for (const v of s.v) {
        if (v === null) continue;
        if (opts.yMin === undefined) yMin = Math.min(yMin ?? Infinity, v);
        if (opts.yMax === undefined) yMax = Math.max(yMax ?? -Infinity, v);
      }
    }
  }
  if (!(tMax > tMin) || yMin === undefined || yMax === undefined || !isFinite(yMin)) return null;
  if (yMax === yMin) { yMax += 1; yMin -= 1; }
  const x = (t) => pad + ((t - tMin) / (tMax - tMin)) * (w - 2 * pad);
  const y = (v) => h - pad - ((v - yMin) / (yMax - yMin)) * (h - 2 * pad);
  for (const line of opts.vlines || []) {
    if (line.t < tMin || line.t > tMax) continue;
    ctx.strokeStyle = line.color;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(x(line.t), 0);
    ctx.lineTo(x(line.t), h);
    ctx.stroke();
  }
  series.forEach((s, k) => {
    ctx.strokeStyle = s.color || COLORS[k % COLORS.length];
    ctx.lineWidth = 1.3;
    ctx.beginPath();
    let pen = false;
    for (let i = 0; i < s.t.length; i++) {
      const v = s.v[i];
      if (v === null || s.t[i] < tMin) { pen = false; continue; }
      if (pen) ctx.lineTo(x(s.t[i]), y(v)); else ctx.moveTo(x(s.t[i]), y(v));
      pen = true;
    }
    ctx.stroke();
  });
  if (opts.labels !== false) {
    ctx.fillStyle = "#667085";
    ctx.font = "10px system-ui, sans-serif";
    ctx.fillText(fmt(yMax), 2, 10);
    ctx.fillText(fmt(yMin), 2, h - 2);
  }
  return { tMin, tMax, yMin, yMax };
}

function fmt(v) {
  if (v === null || v === undefined) return "–";
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
}
