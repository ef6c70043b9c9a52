// JSON as text: pretty-print and highlight without parsing numbers, so an integer beyond
// 2^53 is shown exactly as the server sent it (JSON.parse would round it).

const TOKEN = /\s+|"(?:[^"\\\u0000-\u001f]|\\.)*"|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null|[{}[\],:]/y;
export const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** The tokens of `text`, whitespace dropped; null if `text` is not JSON-shaped. */
export function tokenize(text) {
  const tokens = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const start = TOKEN.lastIndex;
    const match = TOKEN.exec(text);
    if (match === null) return null;
    const token = match[0];
    if (/^\s/.test(token)) continue;
    let kind = "punct";
    if (token[0] === '"') kind = "str";
    else if (token === "true" || token === "false" || token === "null") kind = "lit";
    else if (!"{}[],:".includes(token)) kind = "num";
    tokens.push({ kind, text: token, start });
  }
  return tokens;
}

/** Lines of [kind, text] pieces: `text` indented by two spaces, keys marked as "key". */
export function layout(text) {
  const tokens = tokenize(text);
  if (tokens === null) return null;
  const lines = [];
  let line = [];
  let depth = 0;
  const newline = () => {
    lines.push(line);
    line = [["ws", "  ".repeat(depth)]];
  };
  tokens.forEach((token, i) => {
    const next = tokens[i + 1];
    if (token.text === "{" || token.text === "[") {
      line.push(["punct", token.text]);
      const empty = next && (next.text === "}" || next.text === "]");
      if (!empty) {
        depth += 1;
        newline();
      }
    } else if (token.text === "}" || token.text === "]") {
      const prev = tokens[i - 1];
      if (!(prev && (prev.text === "{" || prev.text === "["))) {
        depth -= 1;
        newline();
      }
      line.push(["punct", token.text]);
    } else if (token.text === ",") {
      line.push(["punct", ","]);
      newline();
    } else if (token.text === ":") {
      line.push(["punct", ": "]);
    } else {
      const isKey = token.kind === "str" && next && next.text === ":";
      line.push([isKey ? "key" : token.kind, token.text]);
    }
  });
  lines.push(line);
  return lines;
}

/** `text` pretty-printed (or as is, when it is not JSON). */
export function pretty(text) {
  const lines = layout(text);
  if (lines === null) return text;
  return lines.map((pieces) => pieces.map(([, t]) => t).join("")).join("\n");
}

/** Fill `element` with `text` pretty-printed and highlighted, built as DOM nodes (no HTML). */
export function render(element, text) {
  element.replaceChildren();
  const lines = layout(text);
  if (lines === null) {
    element.textContent = text;
    return;
  }
  lines.forEach((pieces, index) => {
    if (index > 0) element.append("\n");
    for (const [kind, piece] of pieces) {
      if (kind === "ws" || kind === "punct") {
        element.append(piece);
      } else {
        const span = document.createElement("span");
        span.className = `j-${kind}`;
        span.textContent = piece;
        element.append(span);
      }
    }
  });
}
