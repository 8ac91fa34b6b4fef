// Host-name sets: exact names and `*.suffix` wildcards.
// Guarantees: items are validated and lower-cased at construction; `has` is an O(labels) lookup in two
// hash sets, never throws, compares ASCII case-insensitively, ignores one trailing dot on the host, and
// never matches a host with an empty label, a non-ASCII character, or a non-string. A wildcard needs at
// least one more label: `*.example.com` matches `a.example.com`, never `example.com`.

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
const HOST_CHARS = /^[A-Za-z0-9_.-]+$/;

export class DomainSet {
  private constructor(
    private readonly exact: ReadonlySet<string>,
    private readonly suffixes: ReadonlySet<string>,
    /** Number of items the set was built from. */
    readonly size: number,
  ) {}

  static from(items: string[]): { set: DomainSet } | { error: string; item: string } {
    if (!Array.isArray(items)) return { error: "domain items must be a list", item: "" };
    const exact = new Set<string>();
    const suffixes = new Set<string>();
    for (const item of items) {
      if (typeof item !== "string") return { error: "domain item is not a string", item: String(item) };
      const wild = item.startsWith("*.");
      const name = normalise(wild ? item.slice(2) : item);
      const fault = name === null ? describe(item, wild) : null;
      if (fault !== null || name === null) return { error: fault ?? "invalid domain", item };
      (wild ? suffixes : exact).add(name);
    }
    return { set: new DomainSet(exact, suffixes, items.length) };
  }

  /** Representative host names, for analysis witnesses: the exact names, and `a.SUFFIX` for each wildcard. */
  samples(): string[] {
    return [...this.exact, ...[...this.suffixes].map((s) => `a.${s}`)];
  }

  has(host: string): boolean {
    if (typeof host !== "string") return false;
    const h = normalise(host);
    if (h === null) return false;
    if (this.exact.has(h)) return true;
    if (this.suffixes.size === 0) return false;
    for (let i = h.indexOf("."); i >= 0; i = h.indexOf(".", i + 1)) {
      if (this.suffixes.has(h.slice(i + 1))) return true;
    }
    return false;
  }
}

/** Lower-cased name without one trailing dot, or null when it is not a well-formed ASCII host name. */
function normalise(s: string): string | null {
  let h = s.endsWith(".") ? s.slice(0, -1) : s;
  if (h.length === 0 || h.length > 253 || !HOST_CHARS.test(h)) return null;
  h = h.toLowerCase();
  for (const label of h.split(".")) if (!LABEL.test(label)) return null;
  return h;
}

function describe(item: string, wild: boolean): string {
  const rest = wild ? item.slice(2) : item;
  if (item.length === 0) return "empty domain";
  if (item.includes("/")) return "a domain may not contain `/` (give a host name, not a url)";
  if (rest.includes("*")) return "`*` is allowed only as a leading `*.` label";
  if (/[^\x00-\x7f]/.test(item)) return "non-ascii domain: give its punycode (`xn--`) form";
  if (/[:@\s]/.test(item)) return "a domain may not contain a port, userinfo or whitespace";
  if (rest.split(".").some((l) => l === "")) return "empty label in domain";
  return "not a valid host name";
}
