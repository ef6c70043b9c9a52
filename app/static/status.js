// The Status view: calls per second by method and the error rate, charted from GET /metrics
// samples kept here, beside tasks, workers and failed tasks read over /rpc. Server data is
// shown as text only; charts are drawn on <canvas>, since the CSP allows no inline style.

const POLL_MS = 2000;
const WINDOW_MS = 5 * 60 * 1000;
const RING = WINDOW_MS / POLL_MS + 1;
const PALETTE = ["--s0", "--s1", "--s2", "--s3", "--s4", "--s5"];
const TOP = PALETTE.length;
const FAILED_SHOWN = 20;
const PAGE = 200;
const STATES = [
  "blocked", "scheduled", "pending", "running", "succeeded", "failed", "cancelled", "dead",
];
const WANTED = new Set([
  "rpc_server_handled_total",
  "rpc_live_sessions",
  "rpc_live_subscriptions",
  "rpc_tasks",
  "rpc_tasks_oldest_pending_age_seconds",
  "rpc_workers_online",
]);
const NAME = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/y;
const MINE = "yours, or everyone's with an admin key";

const $ = (id) => document.getElementById(id);

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The samples of the families in WANTED, from Prometheus text: name -> [{labels, value}]. */
export function parseMetrics(text) {
  const families = new Map();
  for (const line of text.split("\n")) {
    if (line === "" || line[0] === "#") continue;
    NAME.lastIndex = 0;
    const name = NAME.exec(line)?.[0];
    if (!WANTED.has(name)) continue;
    let at = name.length;
    const labels = {};
    if (line[at] === "{") {
      LABEL.lastIndex = at += 1;
      let match;
      while ((match = LABEL.exec(line)) !== null) {
        labels[match[1]] = match[2].replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
        at = LABEL.lastIndex;
      }
      if (line[at] !== "}") continue; // not a sample line this parser understands
      at += 1;
    }
    const raw = line.slice(at).trim().split(/\s+/)[0];
    const value = raw === "+Inf" ? Infinity : raw === "-Inf" ? -Infinity : Number(raw);
    if (!families.has(name)) families.set(name, []);
    families.get(name).push({ labels, value });
  }
  return families;
}

/** Calls and errors so far, by method, from rpc_server_handled_total{method,code}. */
function handled(families) {
  const totals = new Map();
  for (const { labels, value } of families.get("rpc_server_handled_total") || []) {
    const total = totals.get(labels.method) || { calls: 0, errors: 0 };
    total.calls += value;
    if (labels.code !== "ok") total.errors += value;
    totals.set(labels.method, total);
  }
  return totals;
}

/** How much a counter grew between two samples; a drop means the server restarted. */
function grew(before, after) {
  return after >= before ? after - before : after;
}

function age(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  if (seconds < 3600) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function rate(value) {
  if (value === 0) return "0";
  return value >= 10 ? value.toFixed(0) : value.toFixed(value >= 1 ? 1 : 2);
}

function count(value) {
  return value === undefined || value === null ? "—" : String(value);
}

function css(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** The smallest 1, 2 or 5 times a power of ten at or above `value`. */
function ceiling(value) {
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((step) => step * power).find((step) => step >= value);
}

/** Draw `series` ([{colour, points: [[ms, y]]}]) as lines across the samples' time span,
 * on a scale from 0 to at least `floor`; `fill` shades under the lines. */
function draw(canvas, series, floor, format, fill = false) {
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  if (!width || !height) return; // hidden: drawn at the next sample once shown
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const g = canvas.getContext("2d");
  g.scale(ratio, ratio);
  const points = series.flatMap((s) => s.points);
  const top = ceiling(Math.max(floor, ...points.map(([, v]) => v)));
  const [left, right, bottom] = [48, width - 8, height - 18];
  const t0 = Math.min(...points.map(([t]) => t));
  const t1 = Math.max(...points.map(([t]) => t));
  const x = (t) => left + ((t - t0) / Math.max(t1 - t0, 1)) * (right - left);
  const y = (v) => bottom - (v / top) * (bottom - 8);
  g.font = `11px ${css("--mono")}`;
  g.lineWidth = 1;
  g.strokeStyle = css("--line");
  g.fillStyle = css("--dim");
  g.textAlign = "right";
  g.textBaseline = "middle";
  for (const part of [0, 0.5, 1]) {
    const level = Math.round(y(top * part)) + 0.5;
    g.beginPath();
    g.moveTo(left, level);
    g.lineTo(right, level);
    g.stroke();
    g.fillText(format(top * part), left - 6, level);
  }
  g.textBaseline = "alphabetic";
  g.fillText("now", right, height - 4);
  g.textAlign = "left";
  const span = points.length ? `−${age((t1 - t0) / 1000)}` : "waiting for samples…";
  g.fillText(span, left, height - 4);
  g.lineWidth = 2;
  g.lineJoin = "round";
  const lines = series.filter((s) => s.points.length > 1);
  canvas.classList.toggle("drawn", lines.length > 0);
  for (const { colour, points: line } of lines) {
    g.strokeStyle = colour;
    g.beginPath();
    line.forEach(([t, v], i) => (i ? g.lineTo(x(t), y(v)) : g.moveTo(x(t), y(v))));
    g.stroke();
    if (fill) {
      g.lineTo(x(line.at(-1)[0]), bottom);
      g.lineTo(x(line[0][0]), bottom);
      g.globalAlpha = 0.15;
      g.fillStyle = colour;
      g.fill();
      g.globalAlpha = 1;
    }
  }
}

/** Fill `table` with a header row and a row per entry of `rows` (cells: text or nodes);
 * answers the rows made. */
function fillTable(table, headers, rows, empty) {
  const head = element("tr");
  for (const text of headers) head.append(element("th", "", text));
  const made = rows.map((cells) => {
    const row = element("tr");
    for (const cell of cells) {
      const td = element("td");
      td.append(cell);
      row.append(td);
    }
    return row;
  });
  const none = element("tr");
  const td = element("td", "dim", empty);
  td.colSpan = headers.length;
  none.append(td);
  table.replaceChildren(head, ...(made.length ? made : [none]));
  return made;
}

/** A JSON-RPC error as a line of text: code, message, and its data, if any. */
function describeError(error) {
  if (!error) return "no answer";
  const data = error.data ?? null;
  return `${error.code} ${error.message}${data === null ? "" : ` ${JSON.stringify(data)}`}`;
}

export class StatusView {
  /** `token()` gives the API key to send (Authorization: Bearer), or "" for none. */
  constructor(token) {
    this.token = token;
    this.samples = [];
    this.families = new Map();
    this.rpc = {};
    this.colours = new Map();
    this.polling = false;
    this.running = false;
    this.nextId = 1;
  }

  wire() {
    for (const button of document.querySelectorAll("[data-view]")) {
      button.addEventListener("click", () => {
        location.hash = button.dataset.view === "status" ? "status" : "";
      });
    }
    window.addEventListener("hashchange", () => this.show());
    this.show();
  }

  /** Show the view that the address names (#status, or the console), polling only while
   * the status view is shown. */
  show() {
    const status = location.hash === "#status";
    $("console-view").hidden = status;
    $("status-view").hidden = !status;
    for (const button of document.querySelectorAll("[data-view]")) {
      button.setAttribute("aria-pressed", String((button.dataset.view === "status") === status));
    }
    this.polling = status;
    if (status && !this.running) this.poll();
  }

  async poll() {
    this.running = true;
    while (this.polling) {
      const problems = await Promise.all([this.scrape(), this.refresh()]);
      this.render(problems.flat());
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    this.running = false;
  }

  headers(extra = {}) {
    const key = this.token();
    return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
  }

  /** Take a sample of /metrics; answers the problems met, as lines of text. */
  async scrape() {
    try {
      const response = await fetch("/metrics", { headers: this.headers() });
      const text = await response.text();
      if (!response.ok) {
        let reason = text.slice(0, 200);
        try {
          reason = describeError(JSON.parse(text).error);
        } catch {
          /* not a JSON-RPC refusal: shown as sent */
        }
        throw new Error(`${response.status} ${reason}`);
      }
      this.families = parseMetrics(text);
      this.samples.push({ at: performance.now(), totals: handled(this.families) });
      if (this.samples.length > RING) this.samples.shift();
      return [];
    } catch (error) {
      return [`GET /metrics: ${error.message}`];
    }
  }

  /** tasks.stats, workers.list and the failed and dead tasks, in one batch; answers the
   * problems met, methods refused alike named together. */
  async refresh() {
    const calls = [
      ["stats", "tasks.stats", {}],
      ["workers", "workers.list", { limit: 100 }],
      ["failed", "tasks.list", { state: "failed", limit: PAGE }],
      ["dead", "tasks.list", { state: "dead", limit: PAGE }],
    ];
    const body = calls.map(([, method, params], id) => ({ jsonrpc: "2.0", method, params, id }));
    const answers = await this.post(body);
    if (answers instanceof Error) return [`POST /rpc: ${answers.message}`];
    if (!Array.isArray(answers)) return [`POST /rpc: ${describeError(answers.error)}`];
    this.rpc = {};
    const refused = new Map();
    for (const answer of answers) {
      const [key, method] = calls[answer.id] || [];
      if (key === undefined) continue;
      if (!("error" in answer)) {
        this.rpc[key] = answer.result;
        continue;
      }
      const why = describeError(answer.error);
      refused.set(why, new Set([...(refused.get(why) || []), method]));
    }
    return [...refused].map(([why, methods]) => `${[...methods].join(", ")}: ${why}`);
  }

  /** POST `body` to /rpc: its parsed answer, or the Error that kept it from coming. */
  async post(body) {
    try {
      const response = await fetch("/rpc", {
        method: "POST",
        headers: this.headers({ "Content-Type": "application/json" }),
        body: JSON.stringify(body),
      });
      return JSON.parse(await response.text());
    } catch (error) {
      return error;
    }
  }

  render(problems) {
    $("status-problem").textContent = problems.join(" · ");
    $("status-view").dataset.samples = String(this.samples.length);
    this.renderCalls();
    this.renderTasks();
    this.renderWorkers();
    this.renderFailed();
    const one = (name) => this.families.get(name)?.[0]?.value;
    $("status-sessions").textContent = count(one("rpc_live_sessions"));
    $("status-subscriptions").textContent = count(one("rpc_live_subscriptions"));
    const online = one("rpc_workers_online") ?? this.rpc.stats?.workers_online;
    $("status-workers-online").textContent = count(online);
  }

  /** Line colours for `methods`, told apart: each keeps the colour it had unless another
   * shown method has it, and a newcomer takes one that is free. */
  paint(methods) {
    const taken = new Set();
    const needing = [];
    for (const method of methods) {
      const known = this.colours.get(method);
      if (known !== undefined && !taken.has(known)) taken.add(known);
      else needing.push(method);
    }
    const free = PALETTE.filter((colour) => !taken.has(colour));
    for (const method of needing) this.colours.set(method, free.shift());
    return methods.map((method) => css(this.colours.get(method)));
  }

  /** Rates between consecutive samples: the busiest methods as lines, and the error rate. */
  renderCalls() {
    const byMethod = new Map();
    const errors = [];
    for (let i = 1; i < this.samples.length; i++) {
      const [before, after] = [this.samples[i - 1], this.samples[i]];
      const seconds = (after.at - before.at) / 1000;
      let [calls, failed] = [0, 0];
      for (const [method, total] of after.totals) {
        const was = before.totals.get(method) || { calls: 0, errors: 0 };
        const made = grew(was.calls, total.calls);
        calls += made;
        failed += grew(was.errors, total.errors);
        if (!byMethod.has(method)) byMethod.set(method, { sum: 0, rates: new Map() });
        byMethod.get(method).sum += made;
        byMethod.get(method).rates.set(after.at, made / seconds);
      }
      const percent = calls ? (100 * failed) / calls : 0;
      errors.push({ at: after.at, percent, rate: calls / seconds });
    }
    const busiest = [...byMethod].filter(([, m]) => m.sum > 0);
    busiest.sort((a, b) => b[1].sum - a[1].sum);
    const times = errors.map((e) => e.at);
    const sum = (methods, t) => methods.reduce((total, [, m]) => total + (m.rates.get(t) || 0), 0);
    const line = (methods) => times.map((t) => [t, sum(methods, t)]);
    const top = busiest.slice(0, TOP);
    const colours = this.paint(top.map(([method]) => method));
    const shown = top.map((entry, i) => ({
      method: entry[0],
      points: line([entry]),
      colour: colours[i],
    }));
    const rest = busiest.slice(TOP);
    if (rest.length) {
      shown.push({ method: `${rest.length} others`, points: line(rest), colour: css("--dim") });
    }
    draw($("status-calls"), shown, 1, rate);
    $("status-calls-legend").replaceChildren(...shown.map((series) => legendItem(series)));

    const peak = Math.max(0, ...errors.map((e) => e.percent));
    const chart = $("status-errors");
    chart.classList.toggle("has-errors", peak > 0);
    const percent = (v) => `${rate(v)}%`;
    const shares = { colour: css("--bad"), points: errors.map((e) => [e.at, e.percent]) };
    draw(chart, [shares], 1, percent, true);
    const last = errors.at(-1);
    $("status-rate").textContent = last ? `${rate(last.rate)}/s` : "—";
    $("status-error-rate").textContent = last ? percent(last.percent) : "—";
    $("status-errors-peak").textContent = last ? `peak ${percent(peak)} in this window` : "";
  }

  /** By queue from rpc_tasks{state,queue} when the server exports it, else tasks.stats. */
  renderTasks() {
    const counts = this.families.get("rpc_tasks") || [];
    const rows = new Map();
    let source = `tasks.stats (${MINE})`;
    if (counts.length) {
      source = "rpc_tasks in /metrics (every caller's tasks)";
      for (const { labels, value } of counts) {
        if (!rows.has(labels.queue)) rows.set(labels.queue, { states: {}, oldest: null });
        rows.get(labels.queue).states[labels.state] = value;
      }
      // A queue with nothing pending has no oldest pending task, whatever the gauge holds.
      const ages = this.families.get("rpc_tasks_oldest_pending_age_seconds") || [];
      for (const { labels, value } of ages) {
        if (rows.get(labels.queue)?.states.pending) rows.get(labels.queue).oldest = value;
      }
    } else if (this.rpc.stats) {
      const { by_state: states, oldest_pending_age_s: oldest } = this.rpc.stats;
      rows.set("all queues", { states, oldest });
    }
    const states = [...STATES];
    for (const row of rows.values()) {
      for (const state of Object.keys(row.states)) if (!states.includes(state)) states.push(state);
    }
    $("status-tasks-source").textContent = `from ${source}`;
    const table = [...rows].map(([queue, row]) => [
      queue,
      ...states.map((state) => String(row.states[state] ?? 0)),
      age(row.oldest),
    ]);
    fillTable($("status-tasks"), ["queue", ...states, "oldest pending"], table, "no data yet");
    const oldest = [...rows.values()].map((row) => row.oldest).filter((v) => v !== null);
    $("status-oldest").textContent = oldest.length ? age(Math.max(...oldest)) : "—";
  }

  renderWorkers() {
    const now = Date.now() / 1000;
    const rows = (this.rpc.workers || []).map((worker) => {
      const { running, capacity } = worker;
      const more = running.length > 3 ? ` +${running.length - 3}` : "";
      const tasks = running.length ? running.slice(0, 3).join(", ") + more : "idle";
      return [
        `${worker.name} (${worker.worker_id})`,
        element("span", worker.health === "online" ? "good" : "bad", worker.health),
        worker.types.join(", "),
        worker.queues.join(", "),
        `${running.length}/${capacity}: ${tasks}`,
        `${age(Math.max(0, now - worker.last_seen))} ago`,
      ];
    });
    const headers = ["worker", "health", "types", "queues", "running", "last seen"];
    fillTable($("status-workers"), headers, rows, `no workers (${MINE})`);
  }

  renderFailed() {
    const pages = [this.rpc.failed, this.rpc.dead].filter(Boolean);
    const tasks = pages.flatMap((page) => page.tasks);
    tasks.sort((a, b) => (b.finished_at ?? 0) - (a.finished_at ?? 0));
    const more = pages.some((page) => page.next_cursor !== null);
    $("status-failed-more").textContent = more
      ? `Over ${PAGE} held in a state: these are from the first ${PAGE}; page on with tasks.list.`
      : "";
    const shown = tasks.slice(0, FAILED_SHOWN);
    const rows = shown.map((task) => {
      const button = element("button", "small", "Requeue");
      button.type = "button";
      button.addEventListener("click", () => this.requeue(task.task_id, button));
      const error = task.error === null ? "" : JSON.stringify(task.error);
      const code = element("code", "", error);
      code.title = error;
      const finished = task.finished_at ? new Date(task.finished_at * 1000) : null;
      return [
        task.task_id,
        task.type,
        task.queue,
        element("span", "bad", task.state),
        task.reason ?? "",
        `${task.attempt}/${task.max_attempts}`,
        code,
        finished ? finished.toLocaleTimeString() : "—",
        button,
      ];
    });
    const headers = ["task", "type", "queue", "state", "reason", "attempts", "error", "finished"];
    const made = fillTable($("status-failed"), [...headers, ""], rows, `none (${MINE})`);
    made.forEach((row, i) => (row.dataset.taskId = shown[i].task_id));
  }

  /** Ask for a task to be run again; the server decides who may (its owner, or admin). */
  async requeue(taskId, button) {
    button.disabled = true;
    const id = this.nextId++;
    const params = { task_id: taskId };
    const answer = await this.post({ jsonrpc: "2.0", method: "tasks.requeue", params, id });
    button.disabled = false;
    let text = `Requeued ${taskId}: now ${answer.result?.state}`;
    if (answer instanceof Error) text = `Requeue ${taskId}: ${answer.message}`;
    else if ("error" in answer) text = `Requeue ${taskId} refused: ${describeError(answer.error)}`;
    const outcome = $("status-requeue");
    outcome.classList.toggle("bad", answer instanceof Error || "error" in answer);
    outcome.classList.toggle("good", !outcome.classList.contains("bad"));
    outcome.textContent = text;
  }
}

function legendItem({ method, points, colour }) {
  const item = element("li");
  item.dataset.method = method;
  const swatch = element("canvas", "swatch");
  swatch.width = swatch.height = 10;
  const g = swatch.getContext("2d");
  g.fillStyle = colour;
  g.fillRect(0, 0, 10, 10);
  const now = points.length ? `${rate(points.at(-1)[1])}/s` : "";
  item.append(swatch, element("span", "name", method), element("span", "dim", now));
  return item;
}
