// The wearer's self-report page: the pipeline's states, "not sure", SAM valence and arousal,
// optional free text. Answers the model's label requests as they come, and works at any time.
"use strict";

const TOKEN = new URLSearchParams(location.hash.slice(1)).get("token") || "";
const SLOT = Number(new URLSearchParams(location.search).get("w") || "0");
const UNSURE = "unsure";
const choice = { state: null, valence: null, arousal: null };
let session = null;
let request = null;

function el(tag, attrs = {}, text = "") {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
}

function buttonRow(id, values, key, labelOf = String) {
  const row = document.getElementById(id);
  row.innerHTML = "";
  for (const value of values) {
    const b = el("button", { type: "button", "data-value": String(value) }, labelOf(value));
    if (value === UNSURE) b.classList.add("unsure");
    b.onclick = () => { choice[key] = choice[key] === value ? null : value; say(""); update(); };
    row.appendChild(b);
  }
}

function update() {
  for (const key of ["state", "valence", "arousal"]) {
    for (const b of document.querySelectorAll(`#${key === "state" ? "states" : key} button`)) {
      const value = key === "state" ? b.dataset.value : Number(b.dataset.value);
      b.classList.toggle("on", choice[key] === value);
      // "not sure" is an answer of its own: no rating goes with it
      if (key !== "state") b.disabled = choice.state === UNSURE;
    }
  }
  const any = choice.state !== null || choice.valence !== null || choice.arousal !== null;
  document.getElementById("send").disabled = !any || !TOKEN;
}

function say(text, error = false) {
  const m = document.getElementById("message");
  m.textContent = text;
  m.className = error ? "message error" : "message";
}

async function send() {
  const body = { state: choice.state, note: document.getElementById("note").value || null };
  if (choice.state !== UNSURE) { body.valence = choice.valence; body.arousal = choice.arousal; }
  if (request) body.span_s = request.span_s;
  try {
    const r = await fetch(`/api/wearers/${SLOT}/reports`, {
      method: "POST", headers: { "Content-Type": "application/json", Authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(body),
    });
    const answer = await r.json();
    if (!r.ok) throw new Error(answer.error);
    say("Thank you, your answer was saved.");
    choice.state = choice.valence = choice.arousal = null;
    document.getElementById("note").value = "";
    request = null;
    showRequest();
    update();
  } catch (err) {
    say(String(err.message || err), true);
  }
}

function showRequest() {
  const ask = document.getElementById("ask");
  ask.hidden = !request;
  if (request) ask.textContent = `Please tell us how you felt during the last ${Math.round(request.span_s / 60)} minutes.`;
}

async function poll() {
  try {
    const r = await fetch(`/api/wearers/${SLOT}/request`, { cache: "no-store" });
    if (r.ok) {
      const body = await r.json();
      request = body.request;
      document.getElementById("status").textContent = body.ended ? "the session has ended" : "";
      showRequest();
    }
  } catch (err) {
    document.getElementById("status").textContent = "not connected";
  }
  setTimeout(poll, 1000);
}

async function start() {
  const r = await fetch("/api/session", { cache: "no-store" });
  session = await r.json();
  const me = session.wearers.find((w) => w.slot === SLOT);
  if (!me) { say("This page's link names no wearer of this session.", true); return; }
  buttonRow("states", [...me.classes, UNSURE], "state", (v) => (v === UNSURE ? "not sure" : v));
  buttonRow("valence", [1, 2, 3, 4, 5, 6, 7, 8, 9], "valence");
  buttonRow("arousal", [1, 2, 3, 4, 5, 6, 7, 8, 9], "arousal");
  document.getElementById("send").onclick = send;
  if (!TOKEN) say("This link has no token: open the self-report link printed when the session started.", true);
  update();
  poll();
}

start();
