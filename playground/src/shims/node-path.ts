/**
 * Browser stand-in for `node:path` (POSIX): the compiler resolves import and schema paths with it. The
 * playground has no file system (its compile passes `readFile: null`), so these only ever see the
 * playground's own file name; the functions still behave as POSIX `path` does for absolute and relative paths.
 */
export const sep = "/";
export const delimiter = ":";

/** `p` without `.`, `..` (above the root for relative paths kept) and repeated separators; no trailing `/`. */
function collapse(p: string): string {
  const abs = p.startsWith("/");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!abs) out.push("..");
    } else out.push(part);
  }
  const body = out.join("/");
  return abs ? "/" + body : body || ".";
}

/** As POSIX `path.normalize`: a trailing separator is kept. */
export function normalize(p: string): string {
  if (p === "") return ".";
  const out = collapse(p);
  return p.endsWith("/") && out !== "/" ? out + "/" : out;
}

export function isAbsolute(p: string): boolean {
  return p.startsWith("/");
}

/** The working directory of the page: the root. */
export function resolve(...parts: string[]): string {
  let acc = "";
  for (let i = parts.length - 1; i >= 0 && !acc.startsWith("/"); i--) {
    const part = parts[i];
    if (part) acc = acc ? `${part}/${acc}` : part;
  }
  return collapse(acc.startsWith("/") ? acc : "/" + acc);
}

export function join(...parts: string[]): string {
  const joined = parts.filter((p) => p !== "").join("/");
  return joined === "" ? "." : normalize(joined);
}

export function dirname(p: string): string {
  if (p === "") return ".";
  const n = p.replace(/\/+$/, "");
  if (n === "") return "/";
  const i = n.lastIndexOf("/");
  if (i < 0) return ".";
  return i === 0 ? "/" : n.slice(0, i);
}

export function basename(p: string): string {
  const n = p.replace(/\/+$/, "");
  return n.slice(n.lastIndexOf("/") + 1);
}

export function relative(from: string, to: string): string {
  const a = resolve(from).split("/").filter(Boolean);
  const b = resolve(to).split("/").filter(Boolean);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return [...a.slice(i).map(() => ".."), ...b.slice(i)].join("/");
}

export const posix = { sep, delimiter, normalize, isAbsolute, resolve, join, dirname, basename, relative };
export default posix;
