/**
 * Checks of single config values that need more than a type: URLs (and which schemes each option
 * takes), listen addresses (loopback or not), names, and the files the config names (read once at
 * load, so a typo is reported with its line, not when the first client connects).
 * GUARANTEES: pure functions of their input and the file system; nothing throws; messages never quote
 * an expanded value or a file's content.
 */
import { isIP } from "node:net";
import { statSync } from "node:fs";
import * as nodePath from "node:path";
import { FileRefusal, readRegularFile } from "../../source/files.js";
import { configFileUnreadable, invalidConfigUrl } from "../../diagnostics/catalog.js";
import type { Diagnostic } from "../../diagnostics/diagnostic.js";
import type { Span } from "../../source/source.js";

/** True for an address only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h.endsWith(".localhost") || h === "::1") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  return h.startsWith("::ffff:127.");
}

/** `host` of `listen`: an IP address or a host name (brackets around an IPv6 address are dropped). */
export function listenHost(host: string): string | undefined {
  const h = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (isIP(h) !== 0) return h;
  return /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(h) ? h : undefined;
}

export type UrlRule =
  /** An upstream or public URL: http or https, no credentials, no fragment. */
  | "http"
  /** OAuth issuer, JWKS, authorization servers: https, or http on a loopback host only. */
  | "secure"
  /** `redis://` or `rediss://` with a host, an optional port and `/DB`. */
  | "redis"
  /** A browser origin: exactly `scheme://host[:port]`. */
  | "origin";

const HINTS: Record<UrlRule, string> = {
  http: "write a full URL such as `https://mcp.example.com/mcp` or `http://127.0.0.1:3000/mcp`",
  secure: "keys and tokens are trusted from this URL: use `https://` (plain `http://` only to a loopback host such as 127.0.0.1)",
  redis: "write `redis://HOST:PORT` or `redis://HOST:PORT/DB` (`rediss://` for TLS)",
  origin: "an origin is `scheme://host[:port]` with nothing after it, e.g. `https://app.example.com`",
};

/** The URL if it follows `rule`, else pushes E1012 and returns undefined. */
export function checkUrl(out: Diagnostic[], at: Span, where: string, value: string, rule: UrlRule): string | undefined {
  const fail = (why: string) => {
    out.push(invalidConfigUrl(at, where, why, HINTS[rule]));
    return undefined;
  };
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return fail("it does not parse as a URL");
  }
  switch (rule) {
    case "http":
    case "secure":
    case "origin": {
      if (u.protocol !== "http:" && u.protocol !== "https:") return fail(`the scheme is \`${u.protocol.slice(0, -1)}\`, not http or https`);
      if (u.username || u.password) return fail("it holds a user name or password, which would show in logs");
      if (u.hash) return fail("it has a `#fragment`");
      if (rule === "secure" && u.protocol === "http:" && !isLoopback(u.hostname)) return fail("it is plain http to a host other than this machine");
      if (rule === "origin" && u.origin !== value) return fail("it has more than `scheme://host[:port]`");
      return value;
    }
    case "redis": {
      if (u.protocol !== "redis:" && u.protocol !== "rediss:") return fail(`the scheme is \`${u.protocol.slice(0, -1)}\`, not redis or rediss`);
      if (!u.hostname) return fail("it names no host");
      if (u.pathname !== "" && u.pathname !== "/" && !/^\/\d{1,2}$/.test(u.pathname)) return fail("the path is not a database number");
      if (u.search || u.hash) return fail("it has a query or fragment");
      return value;
    }
  }
}

/** A path for a message: relative to the working directory when under it, else absolute. */
export function shown(p: string): string {
  const rel = nodePath.relative(process.cwd(), p);
  return rel === "" ? "." : rel.startsWith("..") || nodePath.isAbsolute(rel) ? p : rel;
}

/** Absolute path of a config path: relative ones are relative to the config file's folder. */
export function resolvePath(configDir: string, p: string): string {
  return nodePath.resolve(configDir, p);
}

/** A readable regular file (at most 1 MiB unless said); with `pem`, one that holds a PEM block. */
export function checkFile(out: Diagnostic[], at: Span, where: string, path: string, options: { pem?: boolean; maxBytes?: number } = {}): boolean {
  let text: string;
  try {
    text = readRegularFile(path, options.maxBytes ?? 1024 * 1024);
  } catch (e) {
    out.push(configFileUnreadable(at, where, shown(path), e instanceof FileRefusal ? e.message : "it cannot be read"));
    return false;
  }
  if (options.pem && !text.includes("-----BEGIN ")) {
    out.push(configFileUnreadable(at, where, shown(path), "it holds no PEM block (`-----BEGIN ...`)"));
    return false;
  }
  return true;
}

/** Whether a path exists at all (for a file the gateway may create or that may appear later). */
export function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** A folder a file will be written in exists. */
export function checkFolder(out: Diagnostic[], at: Span, where: string, file: string): boolean {
  const dir = nodePath.dirname(file);
  try {
    if (statSync(dir).isDirectory()) return true;
  } catch {
    // reported below
  }
  out.push(configFileUnreadable(at, where, shown(file), `its folder \`${shown(dir)}\` does not exist`));
  return false;
}
