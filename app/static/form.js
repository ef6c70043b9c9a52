// A form for one method, built from its OpenRPC param descriptors (JSON Schema), and the
// params it makes. Values are assembled as JSON text so numbers go out exactly as typed.

import { NUMBER } from "./json.js";

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

/** How a schema is edited: {kind, options?, nullable, schema}. */
export function describe(schema, components) {
  let s = resolve(schema, components);
  let nullable = false;
  const alternatives = s.anyOf || s.oneOf;
  if (alternatives) {
    const resolved = alternatives.map((a) => resolve(a, components));
    const rest = resolved.filter((a) => a.type !== "null");
    nullable = rest.length < resolved.length;
    if (rest.length === 1) s = rest[0];
    else if (rest.every((a) => a.type === "integer" || a.type === "number")) s = { ...s, type: "number" };
    else if (rest.every((a) => "const" in a)) s = { ...s, enum: rest.map((a) => a.const) };
    else return { kind: "json", nullable, schema: s };
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
  const common = { id, name: param.name, "data-kind": how.kind, required: param.required };
  if (how.kind === "enum") {
    const select = element("select", common);
    if (!param.required || how.nullable) select.append(element("option", { value: "" }, "(not set)"));
    for (const option of how.options) {
      const text = JSON.stringify(option);
      select.append(element("option", { value: text }, typeof option === "string" ? option : text));
    }
    if ("default" in s) select.value = JSON.stringify(s.default);
    return select;
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

/** Fill `container` with one labelled control per param of `method`. */
export function buildFields(container, method, components) {
  container.replaceChildren();
  if (method.params.length === 0) {
    container.append(element("p", { class: "dim" }, "No params."));
  }
  for (const param of method.params) {
    const how = describe(param.schema, components);
    const type = how.kind === "enum" ? how.options.map((o) => JSON.stringify(o)).join(" | ") : how.kind;
    const label = element(
      "label",
      { for: `param-${param.name}` },
      element("span", { class: "name" }, param.name),
      param.required ? element("span", { class: "required", title: "required" }, "*") : "",
      element("span", { class: "type" }, type + (how.nullable ? " | null" : "") + bounds(how.schema)),
    );
    const row = element("div", { class: "field" }, label, control(param, how));
    if (param.description) row.append(element("small", {}, param.description));
    container.append(row);
  }
}

/** Set the controls from an example pairing's params. */
export function fillExample(container, example) {
  for (const { name, value } of example.params) {
    const input = container.querySelector(`[name="${CSS.escape(name)}"]`);
    if (!input) continue;
    const kind = input.dataset.kind;
    if (kind === "enum") input.value = JSON.stringify(value);
    else if (kind === "string" && typeof value === "string") input.value = value;
    else if ((kind === "integer" || kind === "number") && typeof value === "number") input.value = String(value);
    else input.value = JSON.stringify(value);
  }
}

/** The params as JSON text (by name, or by position when the method wants that), or throws
 * an Error naming the field that is wrong. */
export function paramsText(container, method) {
  const pieces = [];
  for (const param of method.params) {
    const input = container.querySelector(`[name="${CSS.escape(param.name)}"]`);
    const raw = input.value;
    const kind = input.dataset.kind;
    if (raw.trim() === "" && !(kind === "string" && raw !== "")) {
      if (param.required) throw new Error(`${param.name} is required`);
      continue;
    }
    let text;
    if (kind === "enum") text = raw;
    else if (kind === "string") text = JSON.stringify(raw);
    else if (kind === "integer" || kind === "number") {
      text = raw.trim();
      if (!NUMBER.test(text)) throw new Error(`${param.name} must be a number`);
      if (kind === "integer" && /[.eE]/.test(text)) throw new Error(`${param.name} must be an integer`);
    } else {
      text = raw.trim();
      try {
        JSON.parse(text);
      } catch {
        throw new Error(`${param.name} must be JSON`);
      }
    }
    pieces.push([param.name, text]);
  }
  if (method.paramStructure === "by-position") return `[${pieces.map(([, t]) => t).join(", ")}]`;
  return `{${pieces.map(([n, t]) => `${JSON.stringify(n)}: ${t}`).join(", ")}}`;
}
