// The rpc-hub console: methods from rpc.discover, a form per method, a raw JSON editor for
// single calls and batches, formatted responses with their latency, and a history.
// Plain fetch against /rpc, like any frontend; nothing is loaded from anywhere else.

import { buildFields, fillExample, paramsText } from "./form.js";
import { pretty, render } from "./json.js";
import { ChatView, EventsPanel } from "./live.js";
import { RpcSocket } from "./socket.js";
import { StatusView } from "./status.js";

const ENDPOINT = "/rpc";
const HISTORY_KEY = "rpc-hub.history";
const HISTORY_LIMIT = 50;

const $ = (id) => document.getElementById(id);
const state = { document: null, methods: new Map(), current: null, nextId: 1, history: [] };
const socket = new RpcSocket(
  () => $("token").value.trim(),
  (reason) => {
    $("events-problem").textContent = reason;
  },
);
const events = new EventsPanel(socket);
const chat = new ChatView(socket);
const status = new StatusView(() => $("token").value.trim());

/** POST `body` (JSON text) to /rpc; return what a person wants to see about the exchange. */
async function post(body) {
  const headers = { "Content-Type": "application/json" };
  const token = $("token").value.trim();
  if (token) headers.Authorization = `Bearer ${token}`;
  const started = performance.now();
  const response = await fetch(ENDPOINT, { method: "POST", headers, body });
  const text = await response.text();
  const latencyMs = performance.now() - started;
  return {
    status: response.status,
    requestId: response.headers.get("X-Request-ID"),
    text,
    latencyMs,
  };
}

/** How a response went: counts of results and errors, from its (parsed) text. */
function outcome(text) {
  if (text === "") return { ok: 0, errors: 0 };
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: 0, errors: 1 };
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  const errors = items.filter((item) => item && "error" in item).length;
  return { ok: items.length - errors, errors };
}

/** How the history shows a request, and whether its methods' params may carry secrets
 * (OpenRPC ``x-sensitive``), so that it is kept out of local storage. */
function describe(body) {
  let parsed;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { label: "(invalid JSON)", sensitive: false };
  }
  const calls = Array.isArray(parsed) ? parsed : [parsed];
  const sensitive = calls.some(
    (call) => call && state.methods.get(call.method)?.["x-sensitive"] === true,
  );
  if (Array.isArray(parsed)) return { label: `batch ×${parsed.length}`, sensitive };
  if (parsed && typeof parsed.method === "string") return { label: parsed.method, sensitive };
  return { label: "(invalid JSON)", sensitive };
}

function showResponse(entry) {
  const meta = $("response-meta");
  meta.replaceChildren();
  const { ok, errors } = outcome(entry.text);
  const verdict = document.createElement("span");
  verdict.className = errors ? "bad" : "good";
  verdict.id = "verdict";
  if (entry.status === 204) verdict.textContent = "204 no content (notifications only)";
  else if (ok + errors > 1) verdict.textContent = `${ok} ok, ${errors} error${errors === 1 ? "" : "s"}`;
  else verdict.textContent = errors ? "error" : "ok";
  const latency = document.createElement("span");
  latency.id = "latency";
  latency.textContent = `${entry.latencyMs.toFixed(1)} ms`;
  const details = document.createElement("span");
  details.className = "dim";
  details.textContent = `HTTP ${entry.status}` + (entry.requestId ? ` · request ${entry.requestId}` : "");
  meta.append(verdict, latency, details);
  const pre = $("response");
  pre.classList.toggle("has-error", errors > 0);
  render(pre, entry.text);
}

function saveHistory() {
  try {
    // Calls that may carry card data stay in this tab's memory and never reach the disk.
    const kept = state.history.filter((entry) => !entry.sensitive);
    localStorage.setItem(HISTORY_KEY, JSON.stringify(kept));
  } catch {
    /* storage full or disabled: history stays in memory */
  }
}

function renderHistory() {
  const list = $("history");
  list.replaceChildren();
  for (const entry of state.history) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = outcome(entry.text).errors ? "bad" : "good";
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = entry.label;
    const info = document.createElement("span");
    info.className = "dim";
    info.textContent = `${new Date(entry.at).toLocaleTimeString()} · ${entry.latencyMs.toFixed(1)} ms`;
    button.append(name, info);
    button.addEventListener("click", () => {
      $("editor").value = pretty(entry.body);
      showResponse(entry);
    });
    item.append(button);
    list.append(item);
  }
}

async function send(body) {
  let entry;
  try {
    entry = { ...(await post(body)), body, ...describe(body), at: Date.now() };
  } catch (error) {
    $("editor-problem").textContent = `The request failed: ${error.message}`;
    return;
  }
  state.history.unshift(entry);
  state.history.length = Math.min(state.history.length, HISTORY_LIMIT);
  saveHistory();
  renderHistory();
  showResponse(entry);
}

function requestText(method) {
  const params = paramsText($("fields"), method);
  const id = state.nextId++;
  return `{"jsonrpc": "2.0", "method": ${JSON.stringify(method.name)}, "params": ${params}, "id": ${id}}`;
}

function badge(text, className) {
  const span = document.createElement("span");
  span.className = `badge ${className}`;
  span.textContent = text;
  return span;
}

function select(name) {
  const method = state.methods.get(name);
  state.current = method;
  for (const item of $("methods").querySelectorAll("button")) {
    item.classList.toggle("selected", item.dataset.method === name);
  }
  $("method-empty").hidden = true;
  $("method-body").hidden = false;
  $("method-name").textContent = method.name;
  const badges = $("method-badges");
  badges.replaceChildren(badge(`params ${method.paramStructure || "either"}`, "dim"));
  if (method["x-idempotent"]) badges.append(badge("idempotent", "good"));
  if (method.deprecated) badges.append(badge("deprecated", "warn"));
  if (method["x-sensitive"]) badges.append(badge("sensitive: not saved in history", "warn"));
  $("method-summary").textContent = method.summary || "";
  $("method-description").textContent = method.description || "";
  buildFields($("fields"), method, state.document.components || {});
  const errors = $("method-errors");
  errors.replaceChildren();
  for (const error of method.errors || []) {
    const item = document.createElement("li");
    item.textContent = `${error.code} ${error.message}`;
    errors.append(item);
  }
  $("method-errors-box").hidden = !(method.errors || []).length;
  $("example").disabled = !(method.examples || []).length;
  $("subscribe").hidden = !method.name.endsWith(".subscribe");
  $("form-problem").textContent = "";
  if ((method.examples || []).length) fillExample($("fields"), method.examples[0]);
}

function renderMethods() {
  const filter = $("filter").value.trim().toLowerCase();
  const list = $("methods");
  list.replaceChildren();
  for (const method of state.methods.values()) {
    if (filter && !method.name.toLowerCase().includes(filter)) continue;
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.method = method.name;
    button.title = method.summary || "";
    button.textContent = method.name;
    if (method.deprecated) button.classList.add("deprecated");
    if (state.current && state.current.name === method.name) button.classList.add("selected");
    button.addEventListener("click", () => select(method.name));
    item.append(button);
    list.append(item);
  }
}

async function discover() {
  const response = await post('{"jsonrpc": "2.0", "method": "rpc.discover", "id": 0}');
  const parsed = JSON.parse(response.text);
  if (parsed.error) throw new Error(`${parsed.error.code} ${parsed.error.message}`);
  state.document = parsed.result;
  state.methods = new Map(parsed.result.methods.map((method) => [method.name, method]));
  const info = parsed.result.info;
  $("server").textContent = `${info.title} ${info.version} · ${state.methods.size} methods`;
  renderMethods();
}

function wire() {
  $("filter").addEventListener("input", renderMethods);
  $("form").addEventListener("submit", (event) => {
    event.preventDefault();
    $("form-problem").textContent = "";
    let body;
    try {
      body = requestText(state.current);
    } catch (error) {
      $("form-problem").textContent = error.message;
      return;
    }
    send(body);
  });
  $("subscribe").addEventListener("click", () => {
    $("form-problem").textContent = "";
    let params;
    try {
      params = paramsText($("fields"), state.current);
    } catch (error) {
      $("form-problem").textContent = error.message;
      return;
    }
    events.subscribe(state.current.name, params);
  });
  chat.wire();
  status.wire();
  $("example").addEventListener("click", () => {
    const examples = state.current.examples || [];
    if (examples.length) fillExample($("fields"), examples[0]);
  });
  $("to-editor").addEventListener("click", () => {
    try {
      $("editor").value = pretty(requestText(state.current));
      $("form-problem").textContent = "";
    } catch (error) {
      $("form-problem").textContent = error.message;
    }
  });
  $("send").addEventListener("click", () => {
    const body = $("editor").value;
    $("editor-problem").textContent = "";
    try {
      JSON.parse(body);
    } catch (error) {
      // Sent anyway: the server's parse error is part of what the console shows.
      $("editor-problem").textContent = `Not valid JSON (${error.message}); sent as typed.`;
    }
    send(body);
  });
  $("format").addEventListener("click", () => {
    $("editor").value = pretty($("editor").value);
  });
  $("batch-template").addEventListener("click", () => {
    $("editor").value = pretty(
      '[{"jsonrpc": "2.0", "method": "calc.sum", "params": [1, 2, 4], "id": 1},' +
        ' {"jsonrpc": "2.0", "method": "calc.update", "params": [1, 2, 3]},' +
        ' {"jsonrpc": "2.0", "method": "calc.divide", "params": [1, 0], "id": 2}]',
    );
  });
  $("clear-history").addEventListener("click", () => {
    state.history = [];
    saveHistory();
    renderHistory();
  });
}

async function start() {
  wire();
  try {
    state.history = JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]");
  } catch {
    state.history = [];
  }
  renderHistory();
  try {
    await discover();
  } catch (error) {
    $("server").textContent = `Could not load the methods: ${error.message}`;
    $("server").className = "bad";
  }
  document.body.dataset.ready = "true";
}

start();
