/**
 * The gateway's config file: YAML text -> a resolved GatewayConfig (types.ts), or diagnostics with
 * file:line:col. The only place a GatewayConfig is built from user input.
 * GUARANTEES:
 * - Never throws, on any text or environment: every problem is a Diagnostic (src/diagnostics, E10xx
 *   errors and W10xx warnings) whose span points into the config file; `ok` is false when any error
 *   was found, and then no config is returned (fail closed: a half-read config never runs).
 * - Every option absent from the file gets the default its doc comment in types.ts states (defaults.ts);
 *   paths are absolute, resolved against the config file's folder; `${ENV}` references are expanded.
 * - The files the config names are checked at load (TLS PEM files and the policy are readable regular
 *   files; the audit file's folder exists; the api keys file, if missing, is a warning).
 */
import * as nodePath from "node:path";
import { parseDocument, type Document } from "yaml";
import { configFileUnreadable, configWrongType, invalidConfigValue, invalidConfigYaml, missingConfigKey } from "../../diagnostics/catalog.js";
import { hasErrors, sortDiagnostics, type Diagnostic } from "../../diagnostics/diagnostic.js";
import { lookupFrom, renderAll, toJson, type JsonDiagnostic } from "../../diagnostics/render.js";
import { FileRefusal, readRegularFile } from "../../source/files.js";
import { LIMITS } from "../../source/limits.js";
import { SourceFile, span } from "../../source/source.js";
import { readAuth } from "./auth.js";
import { crossChecks } from "./checks.js";
import { DEFAULTS } from "./defaults.js";
import { ConfigReader, type Field } from "./reader.js";
import { opt, readAudit, readLimits, readListen, readLog, readReload, readSessions, readStore, readTokens } from "./sections.js";
import type { GatewayConfig } from "./types.js";
import { readUpstreams } from "./upstreams.js";
import { checkFile, resolvePath, shown } from "./values.js";
import { statSync } from "node:fs";

export type ConfigResult =
  | { ok: true; config: GatewayConfig; warnings: Diagnostic[]; source: SourceFile }
  | { ok: false; diagnostics: Diagnostic[]; source: SourceFile };

export interface ConfigOptions {
  /** Where `${NAME}` references are looked up. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** The largest config file read (bytes). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

export const TOP_KEYS = [
  "listen",
  "policy",
  "importRoots",
  "mode",
  "store",
  "storePrefix",
  "audit",
  "tokens",
  "upstreams",
  "auth",
  "limits",
  "sessions",
  "reload",
  "log",
  "allowMethods",
  "approvalTimeoutMs",
] as const;

const METHOD = /^[A-Za-z_][A-Za-z0-9_./-]*$/;

/** Read and parse the config file at `file` (relative to the working directory). Never throws. */
export function loadGatewayConfig(file: string, options?: ConfigOptions): ConfigResult {
  let text: string;
  try {
    text = readRegularFile(file, MAX_CONFIG_BYTES);
  } catch (e) {
    const source = new SourceFile(file, "");
    const why = e instanceof FileRefusal ? e.message : "it cannot be read";
    return { ok: false, diagnostics: [configFileUnreadable(span(file, 0, 0), "the config file", file, why, "the path is relative to the working folder")], source };
  }
  return parseGatewayConfig(text, file, options);
}

/** Parse config text as if read from `file` (paths resolve against its folder). Never throws. */
export function parseGatewayConfig(text: string, file: string, options?: ConfigOptions): ConfigResult {
  const source = new SourceFile(file, text);
  try {
    return parse(text, file, source, options?.env ?? process.env);
  } catch (e) {
    // INVARIANT: unreachable by design (the property test feeds arbitrary text); fail closed if not.
    return { ok: false, diagnostics: [invalidConfigYaml(span(file, 0, 0), `the config could not be read (${(e as Error)?.message ?? "internal error"})`)], source };
  }
}

/** The diagnostics of a result rendered like rustc, with the config's lines. */
export function renderConfigDiagnostics(diagnostics: readonly Diagnostic[], source: SourceFile): string {
  return renderAll(diagnostics, lookupFrom([source]));
}

export function configDiagnosticsJson(diagnostics: readonly Diagnostic[], source: SourceFile): JsonDiagnostic[] {
  const lookup = lookupFrom([source]);
  return diagnostics.map((d) => toJson(d, lookup));
}

function parse(text: string, file: string, source: SourceFile, env: NodeJS.ProcessEnv): ConfigResult {
  const fail = (diagnostics: Diagnostic[]): ConfigResult => ({ ok: false, diagnostics: sortDiagnostics(diagnostics), source });
  if (text.length > MAX_CONFIG_BYTES) return fail([invalidConfigYaml(span(file, 0, 0), `the config is larger than ${MAX_CONFIG_BYTES} bytes`)]);
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, strict: true, stringKeys: false });
  const yamlErrors = [...doc.errors, ...doc.warnings].map((e) => {
    const first = (e.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
    const message = first.startsWith("Source contains multiple documents") ? "the config is one YAML document (a `---` starts another)" : lowerFirst(first);
    const [a, b] = e.pos;
    return invalidConfigYaml(span(file, Math.min(a, text.length), Math.min(Math.max(b, a + 1), text.length)), message);
  });
  // The first YAML error only: the parser's later ones are mostly echoes of it.
  if (yamlErrors.length > 0) return fail(yamlErrors.slice(0, 1));
  const r = new ConfigReader(file, text, doc as Document, env);
  const rootSpan = span(file, 0, Math.min(text.length, 1));
  const root = r.resolve(doc.contents);
  if (root === undefined || r.describe(root) !== "a mapping") {
    r.diagnostics.push(configWrongType(rootSpan, "the config", "a mapping with at least `policy:` and `upstreams:`", r.describe(root)));
    return fail(r.diagnostics);
  }
  const absFile = nodePath.resolve(file);
  const dir = nodePath.dirname(absFile);
  const top = r.fields(r.map(root, "the config")!, TOP_KEYS, "", "the config");
  const listen = readListen(r, dir, top.get("listen"));
  const policy = readPolicy(r, dir, top.get("policy"), rootSpan);
  const importRoots = readImportRoots(r, dir, top.get("importRoots"), policy);
  const mode = opt(top.get("mode"), (x) => r.oneOf(x, ["enforce", "shadow"] as const), DEFAULTS.mode);
  const store = readStore(r, top.get("store"), top.get("storePrefix"));
  const audit = readAudit(r, dir, top.get("audit"));
  const tokens = readTokens(r, top.get("tokens"));
  const upstreams = readUpstreams(r, dir, top.get("upstreams"), rootSpan);
  const auth = readAuth(r, dir, top.get("auth"));
  const limits = readLimits(r, top.get("limits"));
  const sessions = readSessions(r, top.get("sessions"));
  const reload = readReload(r, top.get("reload"));
  const log = readLog(r, top.get("log"));
  const allowMethods = readMethods(r, top.get("allowMethods"));
  const approvalTimeoutMs = opt(top.get("approvalTimeoutMs"), (x) => r.integer(x, 1), DEFAULTS.approvalTimeoutMs);
  if (
    hasErrors(r.diagnostics) ||
    !listen ||
    !policy ||
    !importRoots ||
    !mode ||
    !store ||
    audit === undefined ||
    !tokens ||
    !upstreams ||
    !auth ||
    !limits ||
    !sessions ||
    !reload ||
    !log ||
    !allowMethods ||
    approvalTimeoutMs === undefined
  ) {
    return fail(r.diagnostics);
  }
  const config: GatewayConfig = {
    file: absFile,
    listen,
    policy,
    importRoots,
    mode,
    store,
    ...(audit && { audit }),
    tokens,
    upstreams,
    auth,
    limits,
    sessions,
    reload,
    log,
    allowMethods,
    approvalTimeoutMs,
  };
  crossChecks(r, config);
  if (hasErrors(r.diagnostics)) return fail(r.diagnostics);
  return { ok: true, config, warnings: sortDiagnostics(r.diagnostics), source };
}

function readPolicy(r: ConfigReader, dir: string, f: Field | undefined, rootSpan: ReturnType<typeof span>): string | undefined {
  if (f === undefined || f.value === undefined) {
    r.diagnostics.push(missingConfigKey(f ? r.span(f.key) : rootSpan, "policy", "the config", "`policy:` is the .mcppolicy file the gateway enforces, relative to this file"));
    return undefined;
  }
  const v = r.string(f);
  if (v === undefined) return undefined;
  const p = resolvePath(dir, v);
  return checkFile(r.diagnostics, r.span(f.value), "the policy file", p, { maxBytes: LIMITS.maxFileBytes }) ? p : undefined;
}

function readImportRoots(r: ConfigReader, dir: string, f: Field | undefined, policy: string | undefined): string[] | undefined {
  if (f === undefined || f.value === undefined) return policy === undefined ? [] : [nodePath.dirname(policy)];
  const list = r.stringList(f);
  if (!list) return undefined;
  let ok = true;
  const roots = list.map((i) => {
    const p = resolvePath(dir, i.value);
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      isDir = false;
    }
    if (!isDir) {
      r.diagnostics.push(configFileUnreadable(r.span(i.node), "the import root", shown(p), "it is not an existing folder"));
      ok = false;
    }
    return p;
  });
  return ok ? roots : undefined;
}

function readMethods(r: ConfigReader, f: Field | undefined): string[] | undefined {
  if (f === undefined || f.value === undefined) return [...DEFAULTS.allowMethods];
  const list = r.stringList(f);
  if (!list) return undefined;
  let ok = true;
  list.forEach((i, n) => {
    if (!METHOD.test(i.value)) {
      r.diagnostics.push(invalidConfigValue(r.span(i.node), `allowMethods[${n}]`, r.written(i.node), "is not an MCP method name such as `logging/setLevel`"));
      ok = false;
    }
  });
  return ok ? list.map((i) => i.value) : undefined;
}

function lowerFirst(s: string): string {
  return s.length > 1 && /^[A-Z][a-z]/.test(s) ? s[0]!.toLowerCase() + s.slice(1) : s;
}
