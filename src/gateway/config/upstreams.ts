/**
 * The `upstreams` list: each an HTTP server (`url`) or a stdio server the gateway spawns (`command`),
 * with its name (`server.name` in the policy), prefix, timeouts and backoff.
 * GUARANTEES: exactly one of url/command; names unique and [A-Za-z0-9_-]+; with several upstreams no
 * prefix is empty and no prefix starts with another (a prefixed name routes to one upstream only);
 * headers only on url upstreams, cwd/env only on command upstreams; a header the gateway sets itself
 * (`Mcp-Session-Id`, `Content-Type`, ...) cannot be configured.
 */
import { isMap } from "yaml";
import {
  configConflict,
  configFileUnreadable,
  configWrongType,
  duplicateUpstream,
  invalidConfigValue,
  missingConfigKey,
  upstreamPrefixClash,
  upstreamUrlOrCommand,
} from "../../diagnostics/catalog.js";
import type { Span } from "../../source/source.js";
import { DEFAULTS } from "./defaults.js";
import type { ConfigReader, Field } from "./reader.js";
import { opt } from "./sections.js";
import type { UpstreamConfig } from "./types.js";
import { checkUrl, resolvePath, shown } from "./values.js";
import { statSync } from "node:fs";

const KEYS = ["name", "url", "command", "cwd", "env", "headers", "prefix", "connectTimeoutMs", "requestTimeoutMs", "backoff"] as const;
const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const PREFIX = /^[A-Za-z0-9_.-]*$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers the gateway's HTTP link sets or that belong to the connection, lower case. */
const RESERVED_HEADERS = ["accept", "content-type", "content-length", "mcp-session-id", "mcp-protocol-version", "host", "connection", "transfer-encoding", "keep-alive", "upgrade", "last-event-id"];
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface Read {
  config: UpstreamConfig;
  nameSpan: Span;
  prefixSpan: Span;
}

export function readUpstreams(r: ConfigReader, dir: string, f: Field | undefined, rootSpan: Span): UpstreamConfig[] | undefined {
  if (f === undefined || f.value === undefined) {
    r.diagnostics.push(missingConfigKey(f ? r.span(f.key) : rootSpan, "upstreams", "the config", "list the MCP servers behind the gateway: `upstreams: [{ name: notes, url: http://127.0.0.1:3000/mcp }]`"));
    return undefined;
  }
  const seq = f.value;
  if (!("items" in seq) || isMap(seq)) {
    r.diagnostics.push(configWrongType(r.span(seq), "upstreams", "a list of upstreams", r.describe(seq)));
    return undefined;
  }
  const items = (seq.items as unknown[]).map((item) => r.resolve(item));
  if (items.length === 0) {
    r.diagnostics.push(configWrongType(r.span(seq), "upstreams", "a list of at least one upstream", "an empty list"));
    return undefined;
  }
  const several = items.length > 1;
  const read: Read[] = [];
  let ok = true;
  items.forEach((node, i) => {
    const u = readOne(r, dir, { key: f.key, value: node, where: `upstreams[${i}]` }, several);
    if (u) read.push(u);
    else ok = false;
  });
  const byName = new Map<string, Read>();
  for (const u of read) {
    const first = byName.get(u.config.name);
    if (first) {
      r.diagnostics.push(duplicateUpstream(u.nameSpan, u.config.name, first.nameSpan));
      ok = false;
    } else byName.set(u.config.name, u);
  }
  if (several) {
    // A duplicate name is reported once, as such: its default prefix clashes too.
    const distinct = [...byName.values()];
    distinct.forEach((u, i) => {
      for (const other of distinct.slice(0, i)) {
        const a = u.config.prefix;
        const b = other.config.prefix;
        if (a.startsWith(b) || b.startsWith(a)) {
          r.diagnostics.push(upstreamPrefixClash(u.prefixSpan, u.config.name, a, other.config.name, other.prefixSpan));
          ok = false;
          break;
        }
      }
    });
  }
  return ok ? read.map((u) => u.config) : undefined;
}

function readOne(r: ConfigReader, dir: string, f: Field, several: boolean): Read | undefined {
  const map = r.map(f.value, f.where, f.key);
  if (!map) return undefined;
  const fields = r.fields(map, KEYS, f.where, "an upstream");
  const at = r.span(map);
  let ok = true;
  const nameField = fields.get("name");
  let name: string | undefined;
  if (nameField?.value === undefined) {
    r.diagnostics.push(missingConfigKey(span1(at), "name", "an upstream", "`name:` is the upstream's `server.name` in the policy: letters, digits, `_` and `-`"));
    ok = false;
  } else {
    name = r.string(nameField);
    if (name !== undefined && !NAME.test(name)) {
      r.diagnostics.push(invalidConfigValue(r.span(nameField.value), nameField.where, r.written(nameField.value), "is not an upstream name: 1 to 64 letters, digits, `_` or `-`"));
      name = undefined;
    }
    if (name === undefined) ok = false;
  }
  const label = name ?? f.where;
  const urlField = fields.get("url");
  const commandField = fields.get("command");
  const hasUrl = urlField?.value !== undefined;
  const hasCommand = commandField?.value !== undefined;
  if (hasUrl === hasCommand) {
    r.diagnostics.push(upstreamUrlOrCommand(hasUrl ? r.span(commandField?.key) : nameField ? r.span(nameField.key) : span1(at), label, hasUrl));
    ok = false;
  }
  let url: string | undefined;
  if (urlField && hasUrl) {
    const v = r.string(urlField);
    url = v === undefined ? undefined : checkUrl(r.diagnostics, r.span(urlField.value), urlField.where, v, "http");
    if (url === undefined) ok = false;
  }
  let command: string[] | undefined;
  if (commandField && hasCommand) {
    command = readCommand(r, commandField);
    if (command === undefined) ok = false;
  }
  // Options of the other kind of upstream.
  for (const [k, kind] of [["headers", "url"], ["cwd", "command"], ["env", "command"]] as const) {
    const x = fields.get(k);
    if (x?.value === undefined) continue;
    if ((kind === "url" && hasCommand && !hasUrl) || (kind === "command" && hasUrl && !hasCommand)) {
      r.diagnostics.push(
        configConflict(
          r.span(x.key),
          `upstream ${"`"}${label}${"`"} has ${"`"}${k}${"`"}, which only ${kind === "url" ? "a `url`" : "a `command`"} upstream takes`,
          kind === "url" ? "a stdio server gets its settings through `env`" : "an HTTP upstream gets credentials through `headers`",
        ),
      );
      ok = false;
    }
  }
  const cwdField = fields.get("cwd");
  let cwd: string | undefined;
  if (cwdField?.value !== undefined) {
    const v = r.string(cwdField);
    cwd = v === undefined ? undefined : resolvePath(dir, v);
    if (cwd !== undefined && !isDirectory(cwd)) {
      r.diagnostics.push(configFileUnreadable(r.span(cwdField.value), "the working folder", shown(cwd), "it is not an existing folder"));
      cwd = undefined;
    }
    if (cwd === undefined) ok = false;
  }
  const envField = fields.get("env");
  const env = envField?.value === undefined ? null : r.stringMap(envField, (k, node) => keyCheck(r, node, envField.where, k, ENV_NAME, "is not an environment variable name"));
  const headersField = fields.get("headers");
  const headers = headersField?.value === undefined ? null : readHeaders(r, headersField);
  if (env === undefined || headers === undefined) ok = false;
  const prefixField = fields.get("prefix");
  let prefix: string | undefined = name === undefined ? "" : several ? DEFAULTS.prefixOf(name) : "";
  if (prefixField?.value !== undefined) {
    prefix = r.string(prefixField, true);
    if (prefix !== undefined && !PREFIX.test(prefix)) {
      r.diagnostics.push(invalidConfigValue(r.span(prefixField.value), prefixField.where, r.written(prefixField.value), "is not a prefix: letters, digits, `_`, `.` and `-` only"));
      prefix = undefined;
    }
    if (prefix === undefined) ok = false;
  }
  const d = DEFAULTS.upstream;
  const connectTimeoutMs = opt(fields.get("connectTimeoutMs"), (x) => r.integer(x, 1), d.connectTimeoutMs);
  const requestTimeoutMs = opt(fields.get("requestTimeoutMs"), (x) => r.integer(x, 1), d.requestTimeoutMs);
  const backoff = readBackoff(r, fields.get("backoff"));
  if (!ok || name === undefined || prefix === undefined || connectTimeoutMs === undefined || requestTimeoutMs === undefined || backoff === undefined) return undefined;
  const config: UpstreamConfig = {
    name,
    ...(url !== undefined && { url }),
    ...(command !== undefined && { command }),
    ...(cwd !== undefined && { cwd }),
    ...(env && { env }),
    ...(headers && { headers }),
    prefix,
    connectTimeoutMs,
    requestTimeoutMs,
    backoff,
  };
  return { config, nameSpan: nameField ? r.span(nameField.value) : at, prefixSpan: prefixField ? r.span(prefixField.value) : nameField ? r.span(nameField.value) : at };
}

/** `command: node server.js` (split on spaces, no shell) or `command: [node, server.js]`. */
function readCommand(r: ConfigReader, f: Field): string[] | undefined {
  if (r.describe(f.value) === "a string") {
    const v = r.string(f);
    if (v === undefined) return undefined;
    const argv = v.split(/\s+/).filter((a) => a !== "");
    if (argv.length > 0) return argv;
    r.diagnostics.push(invalidConfigValue(r.span(f.value), f.where, r.written(f.value), "names no program"));
    return undefined;
  }
  if (r.describe(f.value) !== "a list") {
    r.diagnostics.push(configWrongType(r.span(f.value), f.where, "a command line (a string, or a list of arguments)", r.describe(f.value)));
    return undefined;
  }
  const argv = r.strings(f);
  if (argv === undefined) return undefined;
  if (argv.length === 0) {
    r.diagnostics.push(configWrongType(r.span(f.value), f.where, "a command line (a string, or a list of arguments)", "an empty list"));
    return undefined;
  }
  return argv;
}

function readHeaders(r: ConfigReader, f: Field): Record<string, string> | undefined {
  const headers = r.stringMap(f, (k, node) => {
    if (!keyCheck(r, node, f.where, k, HEADER_NAME, "is not an HTTP header name")) return false;
    if (RESERVED_HEADERS.includes(k.toLowerCase())) {
      r.diagnostics.push(configConflict(r.span(node), `header \`${k}\` is set by the gateway itself`, "configure only headers of your own, such as `Authorization` or `X-Api-Key`"));
      return false;
    }
    return true;
  });
  if (!headers) return undefined;
  for (const [k, v] of Object.entries(headers)) {
    if (/[\r\n\0]/.test(v)) {
      const map = r.map(f.value, f.where, f.key);
      const pair = map?.items.find((p) => r.written(r.resolve(p.key)) === k);
      r.diagnostics.push(invalidConfigValue(r.span(r.resolve(pair?.value)), `${f.where}.${k}`, "…", "holds a line break or NUL, which no header value may"));
      return undefined;
    }
  }
  return headers;
}

function readBackoff(r: ConfigReader, f: Field | undefined): { initialMs: number; maxMs: number } | undefined {
  const d = DEFAULTS.upstream.backoff;
  if (f === undefined || f.value === undefined) return { ...d };
  const map = r.map(f.value, f.where, f.key);
  if (!map) return undefined;
  const fields = r.fields(map, ["initialMs", "maxMs"], f.where, "`backoff`");
  const initialMs = opt(fields.get("initialMs"), (x) => r.integer(x, 1), d.initialMs);
  const maxMs = opt(fields.get("maxMs"), (x) => r.integer(x, 1), d.maxMs);
  if (initialMs === undefined || maxMs === undefined) return undefined;
  if (initialMs > maxMs) {
    r.diagnostics.push(configConflict(r.span(map), `\`${f.where}.initialMs\` (${initialMs}) is larger than \`${f.where}.maxMs\` (${maxMs})`, "the first delay cannot exceed the cap: raise `maxMs` or lower `initialMs`"));
    return undefined;
  }
  return { initialMs, maxMs };
}

function keyCheck(r: ConfigReader, node: import("yaml").Node, where: string, key: string, re: RegExp, why: string): boolean {
  if (re.test(key)) return true;
  r.diagnostics.push(invalidConfigValue(r.span(node), `${where} key`, key, why));
  return false;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The first character of a span (for "this mapping needs ..." without underlining a whole block). */
function span1(s: Span): Span {
  return { file: s.file, start: s.start, end: Math.min(s.end, s.start + 1) };
}
