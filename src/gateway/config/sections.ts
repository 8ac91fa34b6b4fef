/**
 * The config's simpler sections: `listen` (with `tls`), `store`, `audit`, `tokens`, `limits`,
 * `sessions`, `reload`, `log`. Each reader takes its field (undefined when the key is absent), applies
 * the defaults of defaults.ts, resolves paths against the config's folder and returns the resolved
 * section, or undefined after pushing diagnostics.
 */
import { TOKEN_ENCODINGS } from "../../adapters/tokens.js";
import { configNeeds, invalidConfigValue, missingConfigKey } from "../../diagnostics/catalog.js";
import { DEFAULTS } from "./defaults.js";
import type { ConfigReader, Field } from "./reader.js";
import type { AuditConfig, LimitsConfig, ListenConfig, LogConfig, ReloadConfig, SessionsConfig, StoreConfig, TlsConfig } from "./types.js";
import { checkFile, checkFolder, checkUrl, listenHost, resolvePath } from "./values.js";

/** Reads one optional field with `read`, or gives `fallback` when the key is absent. */
export function opt<T>(f: Field | undefined, read: (f: Field) => T | undefined, fallback: T): T | undefined {
  return f === undefined || f.value === undefined ? fallback : read(f);
}

/** Reads every field of a mapping of numbers; undefined if any is wrong. */
function numbers<T extends Record<string, number>>(r: ConfigReader, f: Field | undefined, defaults: T, min: Partial<Record<keyof T, number>>, what: string): T | undefined {
  if (f === undefined || f.value === undefined) return { ...defaults };
  const map = r.map(f.value, f.where, f.key);
  if (!map) return undefined;
  const keys = Object.keys(defaults);
  const fields = r.fields(map, keys, f.where, what);
  const out: Record<string, number> = {};
  let ok = true;
  for (const k of keys) {
    const v = opt(fields.get(k), (x) => r.integer(x, min[k] ?? 1), defaults[k] as number);
    if (v === undefined) ok = false;
    else out[k] = v;
  }
  return ok ? (out as T) : undefined;
}

export function readListen(r: ConfigReader, dir: string, f: Field | undefined): ListenConfig | undefined {
  const d = DEFAULTS.listen;
  if (f === undefined || f.value === undefined) return { host: d.host, port: d.port, path: d.path, allowedOrigins: [] };
  const map = r.map(f.value, f.where, f.key);
  if (!map) return undefined;
  const fields = r.fields(map, ["host", "port", "path", "publicUrl", "tls", "allowedOrigins", "allowedHosts"], "listen", "`listen`");
  let ok = true;
  const hostField = fields.get("host");
  let host: string | undefined = d.host;
  if (hostField?.value !== undefined) {
    const written = r.string(hostField);
    host = written === undefined ? undefined : listenHost(written);
    if (written !== undefined && host === undefined) r.diagnostics.push(invalidConfigValue(r.span(hostField.value), hostField.where, r.written(hostField.value), "is not an IP address or a host name"));
  }
  const port = opt(fields.get("port"), (x) => r.integer(x, 0, 65535), d.port);
  const pathField = fields.get("path");
  const path = opt(pathField, (x) => r.string(x), d.path);
  if (pathField && path !== undefined && !/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(path)) {
    r.diagnostics.push(invalidConfigValue(r.span(pathField.value), pathField.where, r.written(pathField.value), "is not a URL path (it starts with `/` and has no `?` or `#`)"));
    ok = false;
  }
  const publicField = fields.get("publicUrl");
  let publicUrl: string | undefined;
  if (publicField?.value !== undefined) {
    const v = r.string(publicField);
    publicUrl = v === undefined ? undefined : checkUrl(r.diagnostics, r.span(publicField.value), publicField.where, v, "http");
    if (publicUrl === undefined) ok = false;
  }
  const tlsField = fields.get("tls");
  const tls = tlsField?.value === undefined ? null : readTls(r, dir, tlsField);
  const originList = opt(fields.get("allowedOrigins"), (x) => r.stringList(x), []);
  const origins = originList?.map((o) => o.value);
  originList?.forEach((o, i) => {
    if (checkUrl(r.diagnostics, r.span(o.node), `listen.allowedOrigins[${i}]`, o.value, "origin") === undefined) ok = false;
  });
  const hostsField = fields.get("allowedHosts");
  const hostList = hostsField?.value === undefined ? null : r.stringList(hostsField);
  const hosts = hostList === null ? null : hostList?.map((h) => h.value);
  hostList?.forEach((h, i) => {
    if (!/^[A-Za-z0-9.:[\]-]+$/.test(h.value)) {
      r.diagnostics.push(invalidConfigValue(r.span(h.node), `listen.allowedHosts[${i}]`, r.written(h.node), "is not a host name (with an optional `:PORT`)"));
      ok = false;
    }
  });
  if (!ok || host === undefined || port === undefined || path === undefined || tls === undefined || origins === undefined || hosts === undefined) return undefined;
  return {
    host,
    port,
    path,
    ...(publicUrl !== undefined && { publicUrl }),
    ...(tls !== null && { tls }),
    allowedOrigins: origins,
    ...(hosts !== null && { allowedHosts: hosts }),
  };
}

function readTls(r: ConfigReader, dir: string, f: Field): TlsConfig | undefined {
  const map = r.map(f.value, f.where, f.key);
  if (!map) return undefined;
  const fields = r.fields(map, ["cert", "key", "minVersion", "clientCa", "requireClientCert"], "listen.tls", "`listen.tls`");
  const file = (k: "cert" | "key" | "clientCa", what: string, required: boolean): string | null | undefined => {
    const x = fields.get(k);
    if (x?.value === undefined) {
      if (!required) return null;
      r.diagnostics.push(missingConfigKey(r.span(f.key), k, "`listen.tls`", `\`${k}:\` is the PEM file of the server's ${what}`));
      return undefined;
    }
    const v = r.string(x);
    if (v === undefined) return undefined;
    const p = resolvePath(dir, v);
    return checkFile(r.diagnostics, r.span(x.value), `the ${what} file`, p, { pem: true }) ? p : undefined;
  };
  const cert = file("cert", "certificate (chain)", true);
  const key = file("key", "private key", true);
  const clientCa = file("clientCa", "client CA bundle", false);
  const minVersion = opt(fields.get("minVersion"), (x) => r.oneOf(x, ["TLSv1.2", "TLSv1.3"] as const), DEFAULTS.tls.minVersion);
  const reqField = fields.get("requireClientCert");
  const requireClientCert = opt(reqField, (x) => r.boolean(x), DEFAULTS.tls.requireClientCert);
  if (reqField?.value !== undefined && clientCa === null) {
    r.diagnostics.push(configNeeds(r.span(reqField.key), "`listen.tls.requireClientCert`", "`listen.tls.clientCa`", "client certificates are verified against `clientCa`: name the CA bundle (PEM)"));
    return undefined;
  }
  if (!cert || !key || clientCa === undefined || minVersion === undefined || requireClientCert === undefined) return undefined;
  return { cert, key, minVersion, ...(clientCa !== null && { clientCa }), requireClientCert };
}

/** `store: memory` or `store: redis://...`, with `storePrefix` for Redis. */
export function readStore(r: ConfigReader, f: Field | undefined, prefixField: Field | undefined): StoreConfig | undefined {
  const prefix = prefixField?.value === undefined ? undefined : r.string(prefixField);
  if (prefixField?.value !== undefined && prefix === undefined) return undefined;
  if (f === undefined || f.value === undefined || r.written(f.value) === "memory") {
    if (prefixField?.value !== undefined) {
      r.diagnostics.push(configNeeds(r.span(prefixField.key), "`storePrefix`", "a Redis store", "`storePrefix` names the Redis keys' prefix: set `store: redis://HOST:PORT`, or remove it"));
      return undefined;
    }
    return { kind: "memory" };
  }
  const v = r.string(f);
  if (v === undefined) return undefined;
  if (v === "memory") return { kind: "memory" };
  if (!/^rediss?:/.test(v)) {
    r.diagnostics.push(invalidConfigValue(r.span(f.value), f.where, r.written(f.value), "is not a store", ["memory", "redis://HOST:PORT"]));
    return undefined;
  }
  const url = checkUrl(r.diagnostics, r.span(f.value), f.where, v, "redis");
  if (url === undefined) return undefined;
  return { kind: "redis", url, ...(prefix !== undefined && { prefix }) };
}

/** `audit: FILE` or `audit: { file, failOpen }`; absent means no audit. */
export function readAudit(r: ConfigReader, dir: string, f: Field | undefined): AuditConfig | null | undefined {
  if (f === undefined || f.value === undefined) return null;
  let fileField: Field | undefined = f;
  let failOpen: boolean | undefined = DEFAULTS.audit.failOpen;
  if (r.describe(f.value) !== "a string") {
    const map = r.map(f.value, f.where, f.key);
    if (!map) return undefined;
    const fields = r.fields(map, ["file", "failOpen"], "audit", "`audit`");
    fileField = fields.get("file");
    if (fileField?.value === undefined) {
      r.diagnostics.push(missingConfigKey(r.span(f.key), "file", "`audit`", "`file:` is the JSONL file audit records are appended to; or write `audit: FILE`"));
      return undefined;
    }
    failOpen = opt(fields.get("failOpen"), (x) => r.boolean(x), DEFAULTS.audit.failOpen);
  }
  const v = r.string(fileField);
  if (v === undefined || failOpen === undefined) return undefined;
  const file = resolvePath(dir, v);
  if (!checkFolder(r.diagnostics, r.span(fileField.value), "the audit file", file)) return undefined;
  return { file, failOpen };
}

export function readTokens(r: ConfigReader, f: Field | undefined): { encoding: string } | undefined {
  if (f === undefined || f.value === undefined) return { encoding: DEFAULTS.tokens.encoding };
  const map = r.map(f.value, f.where, f.key);
  if (!map) return undefined;
  const fields = r.fields(map, ["encoding"], "tokens", "`tokens`");
  const encoding = opt(fields.get("encoding"), (x) => r.oneOf(x, TOKEN_ENCODINGS), DEFAULTS.tokens.encoding);
  return encoding === undefined ? undefined : { encoding };
}

export function readLimits(r: ConfigReader, f: Field | undefined): LimitsConfig | undefined {
  return numbers(r, f, { ...DEFAULTS.limits }, { maxBodyBytes: 1024, maxHeaderBytes: 1024 }, "`limits`");
}

export function readSessions(r: ConfigReader, f: Field | undefined): SessionsConfig | undefined {
  return numbers(r, f, { ...DEFAULTS.sessions }, { replayEvents: 0 }, "`sessions`");
}

export function readReload(r: ConfigReader, f: Field | undefined): ReloadConfig | undefined {
  if (f === undefined || f.value === undefined) return { ...DEFAULTS.reload };
  const map = r.map(f.value, f.where, f.key);
  if (!map) return undefined;
  const fields = r.fields(map, ["watch", "debounceMs"], "reload", "`reload`");
  const watch = opt(fields.get("watch"), (x) => r.boolean(x), DEFAULTS.reload.watch);
  const debounceMs = opt(fields.get("debounceMs"), (x) => r.integer(x, 0, 60_000), DEFAULTS.reload.debounceMs);
  return watch === undefined || debounceMs === undefined ? undefined : { watch, debounceMs };
}

export function readLog(r: ConfigReader, f: Field | undefined): LogConfig | undefined {
  if (f === undefined || f.value === undefined) return { ...DEFAULTS.log };
  const map = r.map(f.value, f.where, f.key);
  if (!map) return undefined;
  const fields = r.fields(map, ["level"], "log", "`log`");
  const level = opt(fields.get("level"), (x) => r.oneOf(x, ["debug", "info", "warn", "error"] as const), DEFAULTS.log.level);
  return level === undefined ? undefined : { level };
}
