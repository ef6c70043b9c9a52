// A form for one method, built from its OpenRPC param descriptors (JSON Schema), and the
// params it makes. Values are assembled as JSON text so numbers go out exactly as typed.

import { NUMBER } from "./json.js";
import { renderMarkdown } from "./markdown.js";

const SCALARS = new Set(["string", "integer", "number"]);

/** `schema` with $refs into the document's components followed; keywords beside a $ref
 * (a param's default or description) win over the referenced schema's. */
export function resolve(schema, components, seen = new Set()) {
  if (schema && typeof schema.$ref === "string" && !seen.has(schema.$ref)) {
    seen.add(schema.$ref);
    const { $ref, ...beside } = schema;
    const target = (components.schemas || {})[$ref.split("/").pop()] || {};
    return { ...resolve(target, components, seen), ...beside };
  }
  return schema || {};
}

/** The literal values a schema allows (its enum or const), or null. */
function literals(s) {
  if (Array.isArray(s.enum)) return s.enum;
  return "const" in s ? [s.const] : null;
}

/** Whether every alternative is a string or a number (a type, or literals of them), with at
 * least one string and one number: such a union is typed as text and sent as what it reads. */
function textOrNumber(alternatives) {
  const types = alternatives.flatMap((a) => {
    const values = literals(a);
    if (values) return values.map((v) => (typeof v === "number" ? "number" : typeof v));
    return [SCALARS.has(a.type) ? a.type : "other"];
  });
  return (
    types.every((t) => SCALARS.has(t)) &&
    types.includes("string") &&
    types.some((t) => t !== "string")
  );
}

/** How a schema is edited: {kind, options?, nullable, schema, alternatives?}. */
export function describe(schema, components) {
  let s = resolve(schema, components);
  let nullable = false;
  const alternatives = s.anyOf || s.oneOf;
  if (alternatives) {
    const resolved = alternatives.map((a) => resolve(a, components));
    const rest = resolved.filter((a) => a.type !== "null");
    nullable = rest.length < resolved.length;
    if (rest.length === 1) s = rest[0];
    else if (rest.every((a) => a.type === "integer" || a.type === "number")) {
      s = { ...s, type: rest.some((a) => a.type === "number") ? "number" : "integer" };
    } else if (rest.every((a) => "const" in a)) s = { ...s, enum: rest.map((a) => a.const) };
    else if (textOrNumber(rest)) {
      // Only an integer alternative (as for an id) leaves "3.5" to be the string "3.5".
      const fraction = (a) =>
        a.type === "number" ||
        (literals(a) || []).some((v) => typeof v === "number" && !Number.isInteger(v));
      const integer = !rest.some(fraction);
      return { kind: "text", integer, nullable, schema: s, alternatives: rest };
    } else return { kind: "json", nullable, schema: s };
  }
  if (Array.isArray(s.enum)) return { kind: "enum", options: s.enum, nullable, schema: s };
  if ("const" in s) return { kind: "enum", options: [s.const], nullable, schema: s };
  if (s.type === "boolean") return { kind: "enum", options: [true, false], nullable, schema: s };
  if (s.type === "integer" || s.type === "number") return { kind: s.type, nullable, schema: s };
  if (s.type === "string") return { kind: "string", nullable, schema: s };
  return { kind: "json", nullable, schema: s };
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

/** The input for one param descriptor. */
function control(param, how) {
  const s = how.schema;
  const id = `param-${param.name}`;
  const common = {
    id,
    name: param.name,
    "data-kind": how.kind,
    "data-nullable": how.nullable ? "true" : undefined,
    required: param.required,
    // What a blank optional param stands for when later ones go by position (JSON text).
    "data-default": "default" in param.resolved ? JSON.stringify(param.resolved.default) : undefined,
  };
  if (how.kind === "enum") {
    const select = element("select", common);
    if (!param.required || how.nullable) select.append(element("option", { value: "" }, "(not set)"));
    const chosen = "default" in s ? JSON.stringify(s.default) : undefined;
    for (const option of how.options) {
      const text = JSON.stringify(option);
      const shown = typeof option === "string" ? option : text;
      // The default is the option's initial state too, so filling an example can reset to it.
      select.append(element("option", { value: text, selected: text === chosen }, shown));
    }
    return select;
  }
  if (how.kind === "text") {
    const words = how.alternatives.map((a) => {
      const values = literals(a);
      if (values) return values.map((v) => JSON.stringify(v)).join(" or ");
      return a.type === "string" ? "text" : a.type;
    });
    return element("input", {
      ...common,
      type: "text",
      "data-integer": how.integer ? "true" : undefined,
      placeholder: "default" in s ? `default: ${JSON.stringify(s.default)}` : words.join(" or "),
      title: 'Sent as a number when it reads as one; put digits in "quotes" to send them as text.',
    });
  }
  if (how.kind === "integer" || how.kind === "number") {
    return element("input", {
      ...common,
      type: "text",
      inputmode: how.kind === "integer" ? "numeric" : "decimal",
      placeholder: "default" in s ? `default: ${JSON.stringify(s.default)}` : how.kind,
    });
  }
  if (how.kind === "string") {
    let placeholder = s.format === "date-time" ? "2024-01-01T12:00:00Z" : s.format || "text";
    if ("default" in s) placeholder = `default: ${JSON.stringify(s.default)}`;
    return element("input", {
      ...common,
      type: "text",
      minlength: s.minLength,
      maxlength: s.maxLength,
      placeholder,
    });
  }
  const hint = s.type === "array" ? "[ … ]" : s.type === "object" ? "{ … }" : "any JSON value";
  return element("textarea", {
    ...common,
    rows: 2,
    spellcheck: "false",
    placeholder: "default" in s ? `default: ${JSON.stringify(s.default)}` : `JSON: ${hint}`,
  });
}

/** The schema's bounds in words, e.g. "1 to 5" or "at most 20 characters". */
function bounds(s) {
  const words = [];
  const low = s.minimum ?? s.exclusiveMinimum;
  const high = s.maximum ?? s.exclusiveMaximum;
  if (low !== undefined && high !== undefined) words.push(`${low} to ${high}`);
  else if (low !== undefined) words.push(`${"minimum" in s ? "≥" : ">"} ${low}`);
  else if (high !== undefined) words.push(`${"maximum" in s ? "≤" : "<"} ${high}`);
  if (s.minLength !== undefined && s.maxLength !== undefined) {
    words.push(`${s.minLength} to ${s.maxLength} characters`);
  } else if (s.maxLength !== undefined) words.push(`at most ${s.maxLength} characters`);
  else if (s.minLength !== undefined) words.push(`at least ${s.minLength} characters`);
  if (s.pattern) words.push(`matching ${s.pattern}`);
  return words.length ? `, ${words.join(", ")}` : "";
}

/** The type a field's label shows, with its bounds: "integer, 1 to 5", "string | integer". */
function typeText(how) {
  if (how.kind === "enum") return how.options.map((o) => JSON.stringify(o)).join(" | ");
  if (how.kind === "text") {
    return how.alternatives
      .map((a) => {
        const values = literals(a);
        return values ? values.map((v) => JSON.stringify(v)).join(" | ") : a.type + bounds(a);
      })
      .join(" | ");
  }
  return how.kind + bounds(how.schema);
}

/** Fill `container` with one labelled control per param of `method`. */
export function buildFields(container, method, components) {
  container.replaceChildren();
  if (method.params.length === 0) {
    container.append(element("p", { class: "dim" }, "No params."));
  }
  for (const param of method.params) {
    const how = describe(param.schema, components);
    // The param's own default, which a nullable union's schema beside it does not carry.
    const resolved = resolve(param.schema, components);
    const label = element(
      "label",
      { for: `param-${param.name}` },
      element("span", { class: "name" }, param.name),
      param.required ? element("span", { class: "required", title: "required" }, "*") : "",
      element("span", { class: "type" }, typeText(how) + (how.nullable ? " | null" : "")),
    );
    const row = element("div", { class: "field" }, label, control({ ...param, resolved }, how));
    const description = param.description || how.schema.description;
    if (description) {
      const doc = element("div", { class: "doc param-doc" });
      renderMarkdown(doc, description);
      row.append(doc);
    }
    container.append(row);
  }
}

/** Whether `text` would be sent as a number by a "text" field. */
function readsAsNumber(input, text) {
  const trimmed = text.trim();
  return NUMBER.test(trimmed) && !(input.dataset.integer && /[.eE]/.test(trimmed));
}

/** Whether a "text" field holding `text` would send something else than that string. */
function readsAsJson(input, text) {
  return readsAsNumber(input, text) || /^".*"$/s.test(text.trim());
}

/** Set the controls from an example pairing's params, every other control back to its start. */
export function fillExample(container, example) {
  for (const input of container.querySelectorAll("[data-kind]")) {
    if (input.tagName === "SELECT") {
      for (const option of input.options) option.selected = option.defaultSelected;
    } else input.value = "";
  }
  for (const { name, value } of example.params) {
    const input = container.querySelector(`[name="${CSS.escape(name)}"]`);
    if (!input) continue;
    const kind = input.dataset.kind;
    // null is what a blank field sends (or the server's default, when it is optional).
    if (value === null && kind !== "json") input.value = "";
    else if (kind === "enum") input.value = JSON.stringify(value);
    else if (kind === "string" && typeof value === "string") input.value = value;
    else if ((kind === "integer" || kind === "number") && typeof value === "number") input.value = String(value);
    else if (kind === "text" && typeof value === "string" && !readsAsJson(input, value)) {
      input.value = value;
    } else input.value = JSON.stringify(value);
  }
}

/** A "text" field's value as JSON: a number when it reads as one, a "quoted" string as that
 * string, anything else as the text typed. */
function textValue(input, raw) {
  const trimmed = raw.trim();
  if (readsAsNumber(input, trimmed)) return trimmed;
  if (/^".*"$/s.test(trimmed)) {
    try {
      if (typeof JSON.parse(trimmed) === "string") return trimmed;
    } catch {
      /* not a JSON string after all: sent as typed, quotes included */
    }
  }
  return JSON.stringify(raw);
}

/** The params as JSON text, or throws an Error naming the field that is wrong.
 *
 * By name where the method takes that (only the fields filled, and required ones); by
 * position only for `by-position` methods, where a blank optional param before a filled one
 * would shift the rest, so it goes as its default, or the form refuses to send. */
export function paramsText(container, method) {
  const pieces = [];
  for (const param of method.params) {
    const input = container.querySelector(`[name="${CSS.escape(param.name)}"]`);
    pieces.push([param.name, fieldText(param, input), input]);
  }
  if (method.paramStructure !== "by-position") {
    const given = pieces.filter(([, text]) => text !== null);
    return `{${given.map(([name, text]) => `${JSON.stringify(name)}: ${text}`).join(", ")}}`;
  }
  const last = pieces.findLastIndex(([, text]) => text !== null);
  const values = pieces.slice(0, last + 1).map(([name, text, input], at) => {
    if (text !== null) return text;
    if (input.dataset.default !== undefined) return input.dataset.default;
    const next = pieces.slice(at + 1).find(([, later]) => later !== null)[0];
    throw new Error(
      `${name} needs a value: ${next} after it is filled, and this method takes params ` +
        `only by position (${name} has no default to send in its place)`,
    );
  });
  return `[${values.join(", ")}]`;
}

/** One field's value as JSON text, null when it is blank and may be left out, or throws. */
function fieldText(param, input) {
  const raw = input.value;
  const kind = input.dataset.kind;
  if (raw.trim() === "" && !(kind === "string" && raw !== "")) {
    if (param.required && input.dataset.nullable) return "null";
    if (param.required) throw new Error(`${param.name} is required`);
    return null;
  }
  if (kind === "enum") return raw;
  if (kind === "string") return JSON.stringify(raw);
  if (kind === "text") return textValue(input, raw);
  const text = raw.trim();
  if (kind === "integer" || kind === "number") {
    if (!NUMBER.test(text)) throw new Error(`${param.name} must be a number`);
    if (kind === "integer" && /[.eE]/.test(text)) throw new Error(`${param.name} must be an integer`);
    return text;
  }
  try {
    JSON.parse(text);
  } catch {
    throw new Error(`${param.name} must be JSON`);
  }
  return text;
}
