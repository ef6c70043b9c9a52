// The CommonMark that method docs use, rendered as DOM nodes: paragraphs, `code`, **strong**,
// *em*, fenced and indented code, bullet and numbered lists, headings and links. Raw HTML is
// never interpreted: it shows as the text it is. Every node is made with createElement or as
// text, so nothing in a document can become markup, and a link keeps only a safe address.

const PUNCTUATION = /[\p{P}\p{S}]/u;
const WHITESPACE = /\s/u;
const ESCAPABLE = /[!-/:-@[-`{-~]/;
const ENTITY = /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|(amp|lt|gt|quot|apos|nbsp));/y;
const NAMED = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };
const SPECIAL = /[\\`<[!*_&\n]/g;
const AUTOLINK = /<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*)>/y;
const LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?";
const EMAIL = new RegExp(`<([A-Za-z0-9.!#$%&'*+/=?^_\`{|}~-]+@${LABEL}(?:\\.${LABEL})*)>`, "y");

const FENCE = /^( {0,3})(`{3,}|~{3,})(.*)$/;
const BULLET = /^( {0,3})([-+*])(?=[ ]|$)( *)/;
const ORDERED = /^( {0,3})(\d{1,9})([.)])(?=[ ]|$)( *)/;
const RULE = /^ {0,3}([-*_])(?:[ ]*\1){2,}[ ]*$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ ]+|$)(.*?)(?:[ ]+#+)?[ ]*$/;
const BLANK = /^[ ]*$/;

/** `url` if a doc may link to it (http, https, mailto, or a `#` fragment), else null. */
export function safeHref(url) {
  if (/[\u0000-\u001f\u007f]/.test(url)) return null;
  if (/^(?:https?:\/\/[^\s/?#]|mailto:[^\s])/i.test(url) || url.startsWith("#")) {
    return url.replaceAll(" ", "%20");
  }
  return null;
}

// ---- inline: text to a tree of {type, …} nodes ----

function decodeEntity(text, at) {
  ENTITY.lastIndex = at;
  const match = ENTITY.exec(text);
  if (match === null) return null;
  let value;
  if (match[3]) value = NAMED[match[3]];
  else {
    const code = match[1] ? Number(match[1]) : parseInt(match[2], 16);
    value = code === 0 || code > 0x10ffff ? "\ufffd" : String.fromCodePoint(code);
  }
  return { value, end: ENTITY.lastIndex };
}

/** The backslash escapes and entities of a link address or title, resolved. */
function unescape(text) {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "\\" && ESCAPABLE.test(text[i + 1] || "")) {
      out += text[++i];
    } else if (text[i] === "&" && decodeEntity(text, i)) {
      const entity = decodeEntity(text, i);
      out += entity.value;
      i = entity.end - 1;
    } else out += text[i];
  }
  return out;
}

function runLength(text, at, char) {
  let end = at;
  while (text[end] === char) end++;
  return end - at;
}

/** Where the code span opened by the backtick run at `at` ends, or -1. */
function codeSpanEnd(text, at) {
  const length = runLength(text, at, "`");
  let i = at + length;
  while ((i = text.indexOf("`", i)) !== -1) {
    const run = runLength(text, i, "`");
    if (run === length) return i + run;
    i += run;
  }
  return -1;
}

/** The index just past the `]` matching the `[` at `at`, skipping code spans and escapes. */
function labelEnd(text, at) {
  let depth = 0;
  for (let i = at; i < text.length; i++) {
    const char = text[i];
    if (char === "\\") i++;
    else if (char === "`") {
      const end = codeSpanEnd(text, i);
      if (end === -1) i += runLength(text, i, "`") - 1;
      else i = end - 1;
    } else if (char === "[") depth++;
    else if (char === "]" && --depth === 0) return i + 1;
  }
  return -1;
}

function skipSpace(text, at) {
  let i = at;
  let newlines = 0;
  while (i < text.length && (text[i] === " " || text[i] === "\n")) {
    if (text[i] === "\n" && ++newlines > 1) break;
    i++;
  }
  return i;
}

/** The `(destination "title")` after a link's label at `at`: {href, title, end}, or null. */
function linkTail(text, at) {
  if (text[at] !== "(") return null;
  let i = skipSpace(text, at + 1);
  let destination = "";
  if (text[i] === "<") {
    const close = text.slice(i + 1).search(/[<>\n]/);
    if (close === -1 || text[i + 1 + close] !== ">") return null;
    destination = text.slice(i + 1, i + 1 + close);
    i += close + 2;
  } else {
    let depth = 0;
    const start = i;
    for (; i < text.length; i++) {
      const char = text[i];
      if (char === "\\" && ESCAPABLE.test(text[i + 1] || "")) i++;
      else if (char === "(") depth++;
      else if (char === ")") {
        if (depth === 0) break;
        depth--;
      } else if (/[\s\u0000-\u001f]/.test(char)) break;
    }
    if (depth !== 0) return null;
    destination = text.slice(start, i);
  }
  const beforeTitle = i;
  i = skipSpace(text, i);
  let title = null;
  const quote = { '"': '"', "'": "'", "(": ")" }[text[i]];
  if (quote && i > beforeTitle) {
    let j = i + 1;
    for (; j < text.length && text[j] !== quote; j++) if (text[j] === "\\") j++;
    if (j >= text.length) return null;
    title = unescape(text.slice(i + 1, j));
    i = skipSpace(text, j + 1);
  }
  if (text[i] !== ")") return null;
  return { href: unescape(destination), title, end: i + 1 };
}

function flanking(text, start, end) {
  const before = start > 0 ? text[start - 1] : " ";
  const after = end < text.length ? text[end] : " ";
  const left =
    !WHITESPACE.test(after) &&
    (!PUNCTUATION.test(after) || WHITESPACE.test(before) || PUNCTUATION.test(before));
  const right =
    !WHITESPACE.test(before) &&
    (!PUNCTUATION.test(before) || WHITESPACE.test(after) || PUNCTUATION.test(after));
  if (text[start] === "*") return { canOpen: left, canClose: right };
  return {
    canOpen: left && (!right || PUNCTUATION.test(before)),
    canClose: right && (!left || PUNCTUATION.test(after)),
  };
}

const asText = (item) =>
  item.type === "delim" ? { type: "text", value: item.char.repeat(item.count) } : item;

/** Pair `*`/`_` runs into em and strong, as CommonMark's "process emphasis" does. */
function emphasis(items) {
  let c = 0;
  while (c < items.length) {
    const closer = items[c];
    if (closer.type !== "delim" || !closer.canClose) {
      c++;
      continue;
    }
    let o = c - 1;
    for (; o >= 0; o--) {
      const opener = items[o];
      if (opener.type !== "delim" || opener.char !== closer.char || !opener.canOpen) continue;
      const both = opener.canClose || closer.canOpen;
      const sum = opener.length + closer.length;
      if (!(both && sum % 3 === 0 && !(opener.length % 3 === 0 && closer.length % 3 === 0))) {
        break;
      }
    }
    if (o < 0) {
      c++;
      continue;
    }
    const opener = items[o];
    const use = opener.count >= 2 && closer.count >= 2 ? 2 : 1;
    const children = merge(items.slice(o + 1, c).map(asText));
    items.splice(o + 1, c - o - 1, { type: use === 2 ? "strong" : "em", children });
    opener.count -= use;
    closer.count -= use;
    c = o + 2;
    if (opener.count === 0) {
      items.splice(o, 1);
      c--;
    }
    if (closer.count === 0) items.splice(c, 1);
  }
  return merge(items.map(asText));
}

function merge(items) {
  const out = [];
  for (const item of items) {
    const last = out[out.length - 1];
    if (item.type === "text" && last && last.type === "text") last.value += item.value;
    else if (item.type !== "text" || item.value !== "") out.push(item);
  }
  return out;
}

/** The inline nodes of `text`; `links` false renders link syntax as its label alone. */
export function parseInline(text, links = true) {
  const items = [];
  const push = (value) => items.push({ type: "text", value });
  let i = 0;
  while (i < text.length) {
    SPECIAL.lastIndex = i;
    const found = SPECIAL.exec(text);
    const next = found ? found.index : text.length;
    if (next > i) push(text.slice(i, next));
    i = next;
    if (i >= text.length) break;
    const char = text[i];
    if (char === "\\") {
      if (text[i + 1] === "\n") {
        items.push({ type: "hardbreak" });
        i += 2;
      } else if (ESCAPABLE.test(text[i + 1] || "")) {
        push(text[i + 1]);
        i += 2;
      } else {
        push("\\");
        i++;
      }
    } else if (char === "`") {
      const end = codeSpanEnd(text, i);
      const length = runLength(text, i, "`");
      if (end === -1) {
        push("`".repeat(length));
        i += length;
      } else {
        let code = text.slice(i + length, end - length).replaceAll("\n", " ");
        if (/^ .*[^ ].* $/s.test(code)) code = code.slice(1, -1);
        items.push({ type: "code", value: code });
        i = end;
      }
    } else if (char === "<") {
      AUTOLINK.lastIndex = i;
      EMAIL.lastIndex = i;
      const url = AUTOLINK.exec(text);
      const email = url ? null : EMAIL.exec(text);
      const match = url || email;
      const href = match && safeHref(url ? url[1] : `mailto:${email[1]}`);
      if (match && href && links) {
        const children = [{ type: "text", value: match[1] }];
        items.push({ type: "link", href, title: null, children });
        i += match[0].length;
      } else if (match) {
        push(links ? match[0] : match[1]);
        i += match[0].length;
      } else {
        push("<"); // raw HTML stays text: it is never parsed as markup
        i++;
      }
    } else if (char === "[" || (char === "!" && text[i + 1] === "[")) {
      const image = char === "!";
      const open = image ? i + 1 : i;
      const close = labelEnd(text, open);
      const tail = close === -1 ? null : linkTail(text, close);
      if (tail === null) {
        push(char);
        i++;
        continue;
      }
      const label = text.slice(open + 1, close - 1);
      const href = safeHref(tail.href);
      if (!links) items.push(...parseInline(label, false));
      else if (image || href === null) push(text.slice(i, tail.end)); // shown as written
      else {
        const children = parseInline(label, false);
        items.push({ type: "link", href, title: tail.title, children });
      }
      i = tail.end;
    } else if (char === "*" || char === "_") {
      const count = runLength(text, i, char);
      items.push({ type: "delim", char, count, length: count, ...flanking(text, i, i + count) });
      i += count;
    } else if (char === "&") {
      const entity = decodeEntity(text, i);
      push(entity ? entity.value : "&");
      i = entity ? entity.end : i + 1;
    } else if (char === "\n") {
      const last = items[items.length - 1];
      let hard = false;
      if (last && last.type === "text") {
        hard = / {2,}$/.test(last.value);
        last.value = last.value.replace(/ +$/, "");
      }
      items.push({ type: hard ? "hardbreak" : "softbreak" });
      i++;
      while (text[i] === " ") i++; // a continuation line's indent is not content
    } else {
      push(char);
      i++;
    }
  }
  return emphasis(items);
}

// ---- blocks: lines to a tree of {type, …} nodes ----

function expandTabs(line) {
  let out = "";
  for (const char of line) {
    out += char === "\t" ? " ".repeat(4 - (out.length % 4)) : char;
  }
  return out;
}

const indentOf = (line) => /^ */.exec(line)[0].length;

/** A list item's marker on `line`: {ordered, marker, start, indent} (indent: where its
 * content begins), or null. */
function listMarker(line) {
  const ordered = ORDERED.exec(line);
  const bullet = ordered ? null : BULLET.exec(line);
  const match = ordered || bullet;
  if (!match || RULE.test(line)) return null;
  const spaces = (ordered ? match[4] : match[3]).length;
  const rest = line.slice(match[0].length);
  const width = match[0].length - spaces;
  // Five or more spaces after the marker start indented code: the content is one space in.
  const pad = rest === "" || spaces === 0 || spaces > 4 ? 1 : spaces;
  return {
    ordered: Boolean(ordered),
    marker: ordered ? ordered[3] : bullet[2],
    start: ordered ? Number(ordered[2]) : 1,
    indent: width + pad,
    empty: rest === "",
  };
}

/** Whether `line` begins a block that interrupts a paragraph. */
function interrupts(line) {
  if (FENCE.test(line) || RULE.test(line) || HEADING.test(line)) return true;
  const marker = listMarker(line);
  return marker !== null && !marker.empty && (!marker.ordered || marker.start === 1);
}

/** The blocks of `lines` (tabs expanded). */
function parseBlocks(lines) {
  const blocks = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (BLANK.test(line)) {
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence && !(fence[2][0] === "`" && fence[3].includes("`"))) {
      const [, indent, marks, info] = fence;
      const body = [];
      i++;
      const closing = new RegExp(`^ {0,3}${marks[0] === "`" ? "`" : "~"}{${marks.length},}[ ]*$`);
      while (i < lines.length && !closing.test(lines[i])) {
        body.push(lines[i].replace(new RegExp(`^ {0,${indent.length}}`), ""));
        i++;
      }
      i++;
      const language = info.trim().split(/\s+/)[0] || "";
      blocks.push({ type: "code", language, text: body.join("\n") });
      continue;
    }
    if (indentOf(line) >= 4) {
      const body = [];
      while (i < lines.length && (indentOf(lines[i]) >= 4 || BLANK.test(lines[i]))) {
        body.push(lines[i].slice(4));
        i++;
      }
      while (body.length && BLANK.test(body[body.length - 1])) body.pop();
      blocks.push({ type: "code", language: "", text: body.join("\n") });
      continue;
    }
    if (RULE.test(line)) {
      blocks.push({ type: "rule" });
      i++;
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      const children = parseInline(heading[2].trim());
      blocks.push({ type: "heading", level: heading[1].length, children });
      i++;
      continue;
    }
    if (listMarker(line)) {
      i = parseList(lines, i, blocks);
      continue;
    }
    const text = [line.replace(/^ +/, "")];
    i++;
    while (i < lines.length && !BLANK.test(lines[i]) && !interrupts(lines[i])) {
      text.push(lines[i].replace(/^ +/, ""));
      i++;
    }
    blocks.push({ type: "paragraph", children: parseInline(text.join("\n").replace(/ +$/, "")) });
  }
  return blocks;
}

/** One list starting at `lines[start]`, appended to `blocks`; returns the next line's index. */
function parseList(lines, start, blocks) {
  const first = listMarker(lines[start]);
  const { ordered, start: number } = first;
  const list = { type: "list", ordered, start: number, loose: false, items: [] };
  let i = start;
  while (i < lines.length) {
    const marker = listMarker(lines[i]);
    if (!marker || marker.ordered !== first.ordered || marker.marker !== first.marker) break;
    const offset = marker.indent;
    const body = [lines[i].slice(offset)];
    i++;
    let blankInside = false;
    while (i < lines.length) {
      const line = lines[i];
      if (BLANK.test(line)) {
        let j = i;
        while (j < lines.length && BLANK.test(lines[j])) j++;
        if (j < lines.length && indentOf(lines[j]) >= offset && body.some((l) => !BLANK.test(l))) {
          blankInside = true;
          for (; i < j; i++) body.push("");
          continue;
        }
        break;
      }
      if (indentOf(line) >= offset) body.push(line.slice(offset));
      else if (listMarker(line)) break;
      else if (!BLANK.test(body[body.length - 1]) && !interrupts(line)) {
        body.push(line); // a lazy continuation of the item's paragraph
      } else break;
      i++;
    }
    list.items.push(parseBlocks(body));
    if (blankInside && list.items[list.items.length - 1].length > 1) list.loose = true;
    let j = i;
    while (j < lines.length && BLANK.test(lines[j])) j++;
    const after = j < lines.length ? listMarker(lines[j]) : null;
    const sibling = after && after.ordered === first.ordered && after.marker === first.marker;
    if (!sibling) break;
    if (j > i) list.loose = true;
    i = j;
  }
  blocks.push(list);
  return i;
}

/** The block nodes of a CommonMark document. */
export function parse(text) {
  return parseBlocks(String(text).replace(/\r\n?/g, "\n").split("\n").map(expandTabs));
}

// ---- DOM ----

function inlineNodes(nodes) {
  return nodes.map((node) => {
    switch (node.type) {
      case "text":
        return document.createTextNode(node.value);
      case "softbreak":
        return document.createTextNode("\n");
      case "hardbreak":
        return document.createElement("br");
      case "code": {
        const code = document.createElement("code");
        code.textContent = node.value;
        return code;
      }
      case "link": {
        const a = document.createElement("a");
        a.setAttribute("href", node.href);
        a.setAttribute("rel", "noopener noreferrer");
        if (/^https?:/i.test(node.href)) a.setAttribute("target", "_blank");
        if (node.title) a.setAttribute("title", node.title);
        a.append(...inlineNodes(node.children));
        return a;
      }
      default: {
        const element = document.createElement(node.type === "strong" ? "strong" : "em");
        element.append(...inlineNodes(node.children));
        return element;
      }
    }
  });
}

function blockNodes(blocks, tight = false) {
  return blocks.flatMap((block) => {
    if (block.type === "paragraph") {
      if (tight) return inlineNodes(block.children);
      const p = document.createElement("p");
      p.append(...inlineNodes(block.children));
      return [p];
    }
    if (block.type === "heading") {
      const h = document.createElement(`h${Math.min(6, block.level + 2)}`);
      h.append(...inlineNodes(block.children));
      return [h];
    }
    if (block.type === "code") {
      const pre = document.createElement("pre");
      const code = document.createElement("code");
      if (block.language) code.dataset.language = block.language;
      code.textContent = block.text;
      pre.append(code);
      return [pre];
    }
    if (block.type === "rule") return [document.createElement("hr")];
    const list = document.createElement(block.ordered ? "ol" : "ul");
    if (block.ordered && block.start !== 1) list.setAttribute("start", String(block.start));
    for (const item of block.items) {
      const li = document.createElement("li");
      li.append(...blockNodes(item, !block.loose));
      list.append(li);
    }
    return [list];
  });
}

/** Fill `element` with `text` rendered as CommonMark blocks. */
export function renderMarkdown(element, text) {
  element.replaceChildren(...blockNodes(parse(text || "")));
}

/** Fill `element` with `text` rendered inline (one line, as a summary); `links` false keeps
 * links' labels only, for places such as buttons where a link cannot go. */
export function renderInline(element, text, links = true) {
  const oneLine = String(text || "").replace(/\s*\n\s*/g, " ");
  element.replaceChildren(...inlineNodes(parseInline(oneLine, links)));
}

/** The words of `text` as a reader sees them, its Markdown syntax gone (for filtering). */
export function plainText(text) {
  const words = (nodes) =>
    nodes
      .map((node) => {
        if (node.type === "text" || node.type === "code") return node.value;
        if (node.type === "softbreak" || node.type === "hardbreak") return " ";
        return words(node.children);
      })
      .join("");
  return words(parseInline(String(text || ""), false));
}
