// The live views over the shared WebSocket: the events panel (any `*.subscribe` method,
// called from the form) and a chat room. Server data is shown as text only, never as HTML.

import { render } from "./json.js";

const EVENTS_LIMIT = 200;
const CHAT_LIMIT = 200;

const $ = (id) => document.getElementById(id);

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function cap(list, limit, newestFirst) {
  while (list.children.length > limit) {
    (newestFirst ? list.lastElementChild : list.firstElementChild).remove();
  }
}

/** The events panel: one row per subscription with its Unsubscribe button, and the
 * notifications of all of them, newest on top. */
export class EventsPanel {
  constructor(socket) {
    this.socket = socket;
  }

  /** Subscribe with `method` (its params as JSON text) and show what it sends. */
  async subscribe(method, params) {
    $("events-problem").textContent = "";
    const row = element("li");
    const label = element("span", "name", method);
    const status = element("span", "dim", "subscribing…");
    const button = element("button", "small", "Unsubscribe");
    button.type = "button";
    button.disabled = true;
    row.append(label, status, button);
    $("subscriptions").prepend(row);
    const ended = (reason) => {
      row.classList.add("ended");
      status.textContent = reason;
      button.disabled = true;
    };
    let answer;
    try {
      answer = await this.socket.subscribe(method, params, {
        event: (result) => this.show(method, answer?.subscription, result),
        end: ended,
      });
    } catch (error) {
      row.remove();
      $("events-problem").textContent = `${method}: ${error.message}`;
      return;
    }
    row.dataset.subscription = answer.subscription;
    status.textContent = answer.subscription;
    button.disabled = false;
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await this.socket.unsubscribe(method, answer.subscription);
        ended("unsubscribed");
      } catch (error) {
        $("events-problem").textContent = `unsubscribe: ${error.message}`;
      }
    });
  }

  show(method, subscription, result) {
    const item = element("li");
    const head = element("div", "dim", `${new Date().toLocaleTimeString()} · ${method}`);
    if (subscription) head.title = subscription;
    const body = element("pre", "json");
    render(body, JSON.stringify(result));
    item.append(head, body);
    const list = $("events");
    list.prepend(item);
    cap(list, EVENTS_LIMIT, true);
  }
}

/** A chat room: join then subscribe over the socket, a line per event, send, leave. */
export class ChatView {
  constructor(socket) {
    this.socket = socket;
    this.room = null;
    this.subscription = null;
  }

  wire() {
    $("chat-join").addEventListener("click", () => this.join());
    $("chat-leave").addEventListener("click", () => this.leave());
    $("chat-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
    this.joined(false);
  }

  joined(inRoom) {
    $("chat-join").disabled = inRoom;
    $("chat-room").disabled = inRoom;
    $("chat-name").disabled = inRoom;
    $("chat-leave").disabled = !inRoom;
    $("chat-text").disabled = !inRoom;
    $("chat-send").disabled = !inRoom;
    $("chat").dataset.joined = String(inRoom);
  }

  async run(action) {
    $("chat-problem").textContent = "";
    try {
      await action();
    } catch (error) {
      $("chat-problem").textContent = error.message;
    }
  }

  join() {
    const room = $("chat-room").value.trim();
    const name = $("chat-name").value.trim();
    return this.run(async () => {
      if (!room || !name) throw new Error("a room and a name are needed");
      const members = await this.socket.call("chat.join", { room, name });
      this.room = room;
      $("chat-messages").replaceChildren();
      this.line("system", `in ${room}: ${members.map((member) => member.name).join(", ")}`);
      const answer = await this.socket.subscribe("chat.subscribe", { room }, {
        event: (event) => this.event(event),
        end: (reason) => this.gone(reason),
      });
      this.subscription = answer.subscription;
      this.joined(true);
    });
  }

  send() {
    const input = $("chat-text");
    const text = input.value;
    if (!text.trim() || this.room === null) return;
    return this.run(async () => {
      await this.socket.call("chat.send", { room: this.room, text });
      input.value = "";
    });
  }

  leave() {
    return this.run(async () => {
      const room = this.room;
      const subscription = this.subscription;
      this.gone(null);
      if (subscription) await this.socket.unsubscribe("chat.subscribe", subscription);
      if (room !== null) await this.socket.call("chat.leave", { room });
    });
  }

  gone(reason) {
    if (reason) this.line("system", reason);
    this.room = null;
    this.subscription = null;
    this.joined(false);
  }

  event(event) {
    if (event.kind === "message") this.line("message", event.text, event.name);
    else if (event.kind === "join") this.line("join", `${event.name} joined`);
    else if (event.kind === "leave") {
      this.line("leave", `${event.name} left${event.reason ? ` (${event.reason})` : ""}`);
    }
  }

  line(kind, text, name) {
    const item = element("li", kind);
    if (name !== undefined) item.append(element("span", "name", name), ": ");
    item.append(text);
    const list = $("chat-messages");
    list.append(item);
    cap(list, CHAT_LIMIT, false);
    list.scrollTop = list.scrollHeight;
  }
}
