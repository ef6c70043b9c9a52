// One WebSocket to this server's /rpc, shared by the events panel and the chat view: calls
// answered by id, and rpc.subscription notifications routed to whoever subscribed.

const NOTIFICATION = "rpc.subscription";

export class RpcSocket {
  /** `token()` gives the API key at the moment the socket opens (sent as ?key=, since a
   * browser cannot set Authorization on a WebSocket); `onClose(reason)` hears it close. */
  constructor(token, onClose) {
    this.token = token;
    this.onClose = onClose;
    this.ws = null;
    this.opening = null;
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = new Map();
  }

  open() {
    if (this.opening) return this.opening;
    const url = new URL("/rpc", location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    const key = this.token();
    if (key) url.searchParams.set("key", key);
    const ws = new WebSocket(url);
    this.ws = ws;
    this.opening = new Promise((resolve, reject) => {
      ws.addEventListener("open", () => resolve(ws));
      ws.addEventListener("close", (event) => {
        reject(new Error(`the WebSocket closed (${event.code})`));
        this.closed(event);
      });
    });
    ws.addEventListener("message", (event) => this.received(event.data));
    return this.opening;
  }

  closed(event) {
    this.ws = null;
    this.opening = null;
    const reason = `connection closed (${event.code}${event.reason ? ` ${event.reason}` : ""})`;
    for (const { reject } of this.pending.values()) reject(new Error(reason));
    this.pending.clear();
    for (const listener of this.listeners.values()) listener.end(reason);
    this.listeners.clear();
    this.onClose(reason);
  }

  received(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (frame && frame.method === NOTIFICATION && frame.params) {
      const listener = this.listeners.get(frame.params.subscription);
      if (!listener) return;
      if ("error" in frame.params) {
        this.listeners.delete(frame.params.subscription);
        listener.end(`ended by the server: ${frame.params.error.message}`);
      } else {
        listener.event(frame.params.result);
      }
      return;
    }
    const waiting = this.pending.get(frame && frame.id);
    if (!waiting) return;
    this.pending.delete(frame.id);
    if ("error" in frame) {
      waiting.reject(new Error(`${frame.error.code} ${frame.error.message}`));
      return;
    }
    // Registered here, before any later frame is read, so no notification can slip past.
    if (waiting.listener && frame.result && typeof frame.result.subscription === "string") {
      this.listeners.set(frame.result.subscription, waiting.listener);
    }
    waiting.resolve(frame.result);
  }

  /** Call `method` with `params` (JSON text, or a value to serialize); answer its result. */
  async call(method, params, listener = null) {
    const ws = await this.open();
    const id = this.nextId++;
    const text = typeof params === "string" ? params : JSON.stringify(params);
    const answer = new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, listener });
    });
    ws.send(`{"jsonrpc": "2.0", "method": ${JSON.stringify(method)}, "params": ${text}, "id": ${id}}`);
    return answer;
  }

  /** Call a `<ns>.subscribe` method; `listener.event(result)` hears each notification and
   * `listener.end(reason)` the end. Answers the subscribe result ({subscription, …}). */
  subscribe(method, params, listener) {
    return this.call(method, params, listener);
  }

  /** Stop hearing `subscription` and ask the server to end it with `<ns>.unsubscribe`. */
  async unsubscribe(method, subscription) {
    const namespace = method.slice(0, method.lastIndexOf("."));
    this.listeners.delete(subscription);
    return this.call(`${namespace}.unsubscribe`, { subscription });
  }
}
