// The rpc-hub console: methods from rpc.discover, a form per method, a raw JSON editor for
// single calls and batches, formatted responses with their latency, and a history.
// Plain fetch against /rpc, like any frontend; nothing is loaded from anywhere else.

import { buildFields, fillExample, paramsText } from "./form.js";
import { pretty, render } from "./json.js";
import { ChatView, EventsPanel } from "./live.js";
import { plainText, renderInline, renderMarkdown } from "./markdown.js";
import { RpcSocket } from "./socket.js";
import { StatusView } from "./status.js";

const ENDPOINT = "/rpc";
const HISTORY_KEY = "rpc-hub.history";
const HISTORY_LIMIT = 50;
// What the empty state's "Try an example" offers first, when the server has it.
const FIRST_METHODS = ["weather.current", "calc.add"];

const $ = (id) => document.getElementById(id);
const state = {
  document: null,
  methods: new Map(),
  listed: [],
  current: null,
  nextId: 1,
  history: [],
};
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
    const selected = item.dataset.method === name;
    item.classList.toggle("selected", selected);
    if (selected) item.setAttribute("aria-current", "true");
    else item.removeAttribute("aria-current");
  }
  $("method-empty").hidden = true;
  $("method-body").hidden = false;
  $("method-name").textContent = method.name;
  const badges = $("method-badges");
  badges.replaceChildren(badge(`params ${method.paramStructure || "either"}`, "dim"));
  if (method["x-idempotent"]) badges.append(badge("idempotent", "good"));
  if (method.deprecated) badges.append(badge("deprecated", "warn"));
  if (method["x-sensitive"]) badges.append(badge("sensitive: not saved in history", "warn"));
  showDeprecation(method);
  renderInline($("method-summary"), method.summary);
  renderMarkdown($("method-description"), method.description);
  buildFields($("fields"), method, state.document.components || {});
  const errors = $("method-errors");
  errors.replaceChildren();
  for (const error of method.errors || []) {
    const item = document.createElement("li");
    item.textContent = `${error.code} ${error.message}`;
    errors.append(item);
  }
  $("method-errors-box").hidden = !(method.errors || []).length;
  $("subscribe").hidden = !method.name.endsWith(".subscribe");
  $("form-problem").textContent = "";
  listExamples(method);
  fillChosenExample();
}

/** The method that `method` names as its replacement (OpenRPC `x-replaced-by`), or "". */
function replacement(method) {
  const name = method["x-replaced-by"];
  return typeof name === "string" ? name : "";
}

/** A deprecated method's notice, with a link to the method to use instead when it names one. */
function showDeprecation(method) {
  const notice = $("method-deprecated");
  notice.replaceChildren();
  notice.hidden = !method.deprecated;
  if (!method.deprecated) return;
  const instead = replacement(method);
  if (!instead) {
    notice.append("Deprecated: it may go away in a later version.");
    return;
  }
  const code = document.createElement("code");
  code.textContent = instead;
  // A link to a method the document lacks would lead nowhere: then it is only named.
  const link = document.createElement(state.methods.has(instead) ? "a" : "span");
  if (link.tagName === "A") link.href = `#${instead}`;
  link.className = "replaced-by";
  link.append("use ", code, " instead");
  notice.append("Deprecated: ", link, ".");
}

/** The chooser of examples, shown when the method has more than one. */
function listExamples(method) {
  const examples = method.examples || [];
  const choice = $("example-choice");
  choice.replaceChildren();
  examples.forEach((example, index) => {
    const option = document.createElement("option");
    option.value = String(index);
    option.textContent = String(example.name);
    if (example.summary) option.title = plainText(example.summary);
    choice.append(option);
  });
  choice.hidden = examples.length < 2;
  $("example").disabled = examples.length === 0;
}

/** Fill the form from the example the chooser shows (the first, unless another is chosen). */
function fillChosenExample() {
  const examples = state.current.examples || [];
  const example = examples[Number($("example-choice").value) || 0];
  const summary = $("example-summary");
  summary.hidden = !(example && example.summary && examples.length > 1);
  renderInline(summary, summary.hidden ? "" : example.summary);
  if (example) fillExample($("fields"), example);
}

/** The methods' list, grouped by namespace in the document's order, each with its summary. */
function renderMethods() {
  const groups = new Map();
  for (const method of state.methods.values()) {
    const namespace = method.name.includes(".") ? method.name.split(".")[0] : method.name;
    if (!groups.has(namespace)) groups.set(namespace, []);
    groups.get(namespace).push(method);
  }
  const container = $("methods");
  container.replaceChildren();
  state.listed = [];
  for (const [namespace, methods] of groups) {
    const group = document.createElement("div");
    group.className = "namespace";
    group.dataset.namespace = namespace;
    const heading = document.createElement("h3");
    heading.id = `namespace-${namespace}`;
    const count = document.createElement("span");
    count.className = "dim";
    count.textContent = String(methods.length);
    heading.append(namespace, " ", count);
    const list = document.createElement("ul");
    list.setAttribute("aria-labelledby", heading.id);
    for (const method of methods) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.method = method.name;
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = method.name;
      const summary = document.createElement("span");
      summary.className = "summary";
      renderInline(summary, method.summary, false); // no links inside a button
      button.append(name, summary);
      if (method.deprecated) {
        button.classList.add("deprecated");
        // Struck through as <s> (no longer relevant), so the tag beside it stays legible.
        const struck = document.createElement("s");
        struck.textContent = method.name;
        const tag = document.createElement("span");
        tag.className = "tag";
        tag.textContent = "deprecated";
        name.replaceChildren(struck, " ", tag);
        const instead = replacement(method);
        button.title = instead ? `Deprecated: use ${instead} instead` : "Deprecated";
      }
      button.addEventListener("click", () => select(method.name));
      item.append(button);
      list.append(item);
      const flag = method.deprecated ? " deprecated" : "";
      const words = `${method.name}${flag} ${plainText(method.summary)}`.toLowerCase();
      state.listed.push({ item, group, words });
    }
    group.append(heading, list);
    container.append(group);
  }
  applyFilter();
}

/** Show only the methods whose name or summary holds every word typed in the filter. */
function applyFilter() {
  const typed = $("filter").value.trim();
  const words = typed.toLowerCase().split(/\s+/).filter(Boolean);
  let shown = 0;
  const groupsShown = new Set();
  for (const { item, group, words: text } of state.listed) {
    const match = words.every((word) => text.includes(word));
    item.hidden = !match;
    if (match) {
      shown += 1;
      groupsShown.add(group);
    }
  }
  for (const group of $("methods").children) group.hidden = !groupsShown.has(group);
  const total = state.listed.length;
  const counted = words.length ? `${shown} of ${total} methods` : `${total} methods`;
  $("methods-count").textContent = counted;
  const none = $("methods-none");
  none.hidden = shown > 0 || total === 0;
  none.textContent = `No method matches “${typed}”. Esc clears the filter.`;
}

/** The method buttons the filter leaves showing, in order. */
function visibleButtons() {
  return [...$("methods").querySelectorAll("li:not([hidden]) > button")].filter(
    (button) => !button.closest(".namespace").hidden,
  );
}

/** Choose `name` and put the cursor where the next step is: its first field, else Call. */
function open(name) {
  select(name);
  const first = $("fields").querySelector("[data-kind]");
  (first || $("call")).focus();
}

/** A good first method with an example (weather.current or calc.add), or null. */
function starter() {
  for (const name of FIRST_METHODS) {
    const method = state.methods.get(name);
    if (method && (method.examples || []).length) return method;
  }
  const ordinary = (method) =>
    (method.examples || []).length && !method.name.endsWith("subscribe") && !method["x-sensitive"];
  return [...state.methods.values()].find(ordinary) || null;
}

function renderEmptyState() {
  const method = starter();
  $("try-example").hidden = method === null;
  const note = $("try-example-note");
  note.replaceChildren();
  if (method === null) return;
  const code = document.createElement("code");
  code.textContent = method.name;
  const example = method.examples[0].name;
  note.append("Fills ", code, ` with its example “${example}”; then press Call.`);
}

/** Choose the method the address names (#calc.add), as a doc's link may. */
function followHash() {
  let name;
  try {
    name = decodeURIComponent(location.hash.slice(1));
  } catch {
    return;
  }
  if (state.methods.has(name)) select(name);
}

function keyboard() {
  const filter = $("filter");
  filter.addEventListener("keydown", (event) => {
    const buttons = visibleButtons();
    if (event.key === "ArrowDown" && buttons.length) {
      event.preventDefault();
      buttons[0].focus();
    } else if (event.key === "Enter" && buttons.length) {
      event.preventDefault();
      open(buttons[0].dataset.method);
    } else if (event.key === "Escape" && filter.value !== "") {
      event.preventDefault();
      filter.value = "";
      applyFilter();
    }
  });
  $("methods").addEventListener("keydown", (event) => {
    const buttons = visibleButtons();
    const at = buttons.indexOf(document.activeElement);
    if (at === -1) return;
    const to = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: buttons.length - 1 }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    if (to < 0) filter.focus();
    else buttons[Math.min(to, buttons.length - 1)].focus();
  });
  document.addEventListener("keydown", (event) => {
    const typing = event.target.closest?.("input, textarea, select, [contenteditable]");
    if (event.key !== "/" || typing || event.ctrlKey || event.metaKey || event.altKey) return;
    if ($("console-view").hidden) return;
    event.preventDefault();
    filter.focus();
    filter.select();
  });
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
  renderEmptyState();
  followHash();
}

function wire() {
  $("filter").addEventListener("input", applyFilter);
  keyboard();
  window.addEventListener("hashchange", followHash);
  $("try-example").addEventListener("click", () => {
    const method = starter();
    if (method) {
      select(method.name);
      $("call").focus();
    }
  });
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
  $("example").addEventListener("click", fillChosenExample);
  $("example-choice").addEventListener("change", fillChosenExample);
  // A link to the method the address already names changes no hash, so open it here.
  $("method-body").addEventListener("click", (event) => {
    const link = event.target.closest?.("a[href^='#']");
    if (link && link.getAttribute("href") === location.hash) followHash();
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
