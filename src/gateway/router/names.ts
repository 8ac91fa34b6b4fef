/**
 * The router's naming scheme (docs/gateway-routing.md), without I/O. With several upstreams the client sees
 * each upstream's tools, prompts, resources and templates under that upstream's `prefix` (`notes__read`), and
 * each resource URI (and URI template) as `<name>+<uri>` (`docs+file:///a.txt`: the upstream's name joined to
 * the URI's scheme, still an RFC 3986 scheme when the name is one: a letter, then letters, digits, `-`).
 * GUARANTEES (the properties in test/gateway/router-names.test.ts hold them):
 *  - `checkTargets` accepts only a set where routing is unambiguous: names non-empty, unique, without `+`;
 *    prefixes unique and none the start of another (so at most one prefix matches a name), "" only alone;
 *  - `targetOfName(prefix + n)` is the target of `prefix` with `n` (for any non-empty n); a name no prefix
 *    starts (or a bare prefix) gives undefined, never another target;
 *  - `targetOfUri(name + "+" + u)` is the target called `name` with `u`; anything else gives undefined;
 *  - every function is total over strings: it never throws.
 */

export interface Named {
  readonly name: string;
  readonly prefix: string;
}

/** Why a target set cannot be routed unambiguously, or undefined when it can. */
export function checkTargets(targets: readonly Named[]): string | undefined {
  if (!Array.isArray(targets) || targets.length === 0) return "at least one target is needed";
  const names = new Set<string>();
  for (const t of targets) {
    if (typeof t?.name !== "string" || t.name === "") return "every target needs a non-empty `name`";
    if (t.name.includes("+")) return `target name \`${t.name}\` must not contain \`+\` (it ends the name in resource URIs)`;
    if (names.has(t.name)) return `target name \`${t.name}\` is used twice`;
    names.add(t.name);
    if (typeof t.prefix !== "string") return `target \`${t.name}\` needs a \`prefix\` (a string)`;
    if (t.prefix === "" && targets.length > 1) return `target \`${t.name}\` has an empty prefix, which only a lone target may have`;
  }
  for (const a of targets) {
    for (const b of targets) {
      if (a !== b && b.prefix.startsWith(a.prefix)) return `prefix \`${a.prefix}\` of \`${a.name}\` starts prefix \`${b.prefix}\` of \`${b.name}\`: a name could belong to both`;
    }
  }
  return undefined;
}

/** A name as the client sees it. */
export function prefixName(prefix: string, name: string): string {
  return prefix + name;
}

/**
 * The target whose prefix starts `name`, and the name without it. HOT PATH (every tools/call): a plain
 * scan; the prefixes are checked prefix-free, so the first match is the only one.
 */
export function targetOfName<T extends Named>(targets: readonly T[], name: unknown): { target: T; name: string } | undefined {
  if (typeof name !== "string") return undefined;
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i]!;
    const p = t.prefix;
    if (name.length > p.length && name.startsWith(p)) return { target: t, name: name.slice(p.length) };
  }
  return undefined;
}

/** A resource URI (or URI template) as the client sees it: `<name>+<uri>`. */
export function prefixUri(targetName: string, uri: string): string {
  return `${targetName}+${uri}`;
}

/** The target named before the first `+` of `uri`, and the upstream's URI after it. */
export function targetOfUri<T extends Named>(byName: ReadonlyMap<string, T>, uri: unknown): { target: T; uri: string } | undefined {
  if (typeof uri !== "string") return undefined;
  const plus = uri.indexOf("+");
  if (plus <= 0 || plus === uri.length - 1) return undefined;
  const target = byName.get(uri.slice(0, plus));
  return target === undefined ? undefined : { target, uri: uri.slice(plus + 1) };
}

// ───────────────────────── results as the client sees them ─────────────────────────

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** What each list method's result holds, and which members of an item carry a name or a URI. */
export const LIST_SHAPES: Readonly<Record<string, { readonly key: string; readonly name: boolean; readonly uri?: string; readonly capability: string }>> = Object.freeze({
  "tools/list": { key: "tools", name: true, capability: "tools" },
  "prompts/list": { key: "prompts", name: true, capability: "prompts" },
  "resources/list": { key: "resources", name: true, uri: "uri", capability: "resources" },
  "resources/templates/list": { key: "resourceTemplates", name: true, uri: "uriTemplate", capability: "resources" },
});

/**
 * One upstream's list items as the client sees them: name prefixed, URI as `<name>+<uri>`. An item
 * without a string name (or URI) could not be routed back: it is left out.
 */
export function exposeItems(method: string, items: unknown, target: Named): unknown[] {
  const shape = LIST_SHAPES[method];
  if (shape === undefined || !Array.isArray(items)) return [];
  const out: unknown[] = [];
  for (const item of items) {
    if (!isObj(item) || typeof item.name !== "string") continue;
    const copy: Obj = { ...item, name: prefixName(target.prefix, item.name) };
    if (shape.uri !== undefined) {
      const uri = item[shape.uri];
      if (typeof uri !== "string") continue;
      copy[shape.uri] = prefixUri(target.name, uri);
    }
    out.push(copy);
  }
  return out;
}

/** A content block with its resource URI prefixed (resource links, embedded resources); the same block when it has none. */
function exposeContent(block: unknown, targetName: string): unknown {
  if (!isObj(block)) return block;
  if (block.type === "resource_link" && typeof block.uri === "string") return { ...block, uri: prefixUri(targetName, block.uri) };
  if (block.type === "resource" && isObj(block.resource) && typeof block.resource.uri === "string") {
    return { ...block, resource: { ...block.resource, uri: prefixUri(targetName, block.resource.uri) } };
  }
  return block;
}

const mentionsResource = (b: unknown): boolean => isObj(b) && (b.type === "resource_link" || b.type === "resource");

/**
 * A routed request's result as the client sees it: resource URIs in it prefixed (resources/read contents,
 * resource links and embedded resources in tool results and prompt messages). The same object when
 * nothing in it names a resource (HOT PATH: tools/call results scan their content once, copy nothing).
 */
export function exposeResult(method: string, result: Obj, targetName: string): Obj {
  switch (method) {
    case "tools/call": {
      const content = result.content;
      if (!Array.isArray(content) || !content.some(mentionsResource)) return result;
      return { ...result, content: content.map((b) => exposeContent(b, targetName)) };
    }
    case "resources/read": {
      const contents = result.contents;
      if (!Array.isArray(contents)) return result;
      return { ...result, contents: contents.map((c) => (isObj(c) && typeof c.uri === "string" ? { ...c, uri: prefixUri(targetName, c.uri) } : c)) };
    }
    case "prompts/get": {
      const messages = result.messages;
      if (!Array.isArray(messages) || !messages.some((m) => isObj(m) && mentionsResource(m.content))) return result;
      return { ...result, messages: messages.map((m) => (isObj(m) ? { ...m, content: exposeContent(m.content, targetName) } : m)) };
    }
    default:
      return result;
  }
}
