/**
 * The adversarial corpus (test/adversarial/*.yaml) against policies/hardening.mcppolicy, through the public
 * API, on both evaluators: the compiled `decide` and the reference `interpret`. Every value must get its
 * expected effect; a denial must name the argument (`invalid_argument`, rule `tool:<tool>/args`, message
 * `args.<arg>...`). Then fast-check properties over the same policy: what read_file allows stays in the
 * sandbox under every reading, what fetch_url allows is https to an allowed host, and random values never
 * make either evaluator throw or disagree. The format and the readings are in test/adversarial/README.md.
 */
import fc from "fast-check";
import { readdirSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, type CollectionTag, type YAMLSeq } from "yaml";
import { compilePolicy, type Decision, type PolicyRequest } from "mcppolicy";

const ROOT = join(import.meta.dirname, "..");
const DIR = join(ROOT, "test", "adversarial");
const POLICY_FILE = join(ROOT, "policies", "hardening.mcppolicy");
const policy = compilePolicy(readFileSync(POLICY_FILE, "utf8"), { filename: POLICY_FILE });

type Expected = "allow" | "deny";

interface Group {
  source: string;
  deny?: unknown[];
  allow?: unknown[];
}

interface CorpusFile {
  file: string;
  /** `policyFile:` (relative to the corpus file) for a tool that is not in the hardening policy. */
  policy?: string;
  tool: string;
  arg: string;
  groups: Group[];
}

interface Case {
  file: string;
  tool: string;
  arg: string;
  source: string;
  expected: Expected;
  value: unknown;
}

/**
 * `!repeat [item, ...]`: the concatenation of the items, each a string (once) or `[string, count]`
 * (repeated). Keeps long values (4 KB paths, 8 KB URLs) readable in the data files.
 */
const repeatTag: CollectionTag = {
  tag: "!repeat",
  collection: "seq",
  resolve(seq) {
    const items = (seq as YAMLSeq).toJSON() as unknown[];
    let out = "";
    for (const item of items) {
      if (typeof item === "string") out += item;
      else if (Array.isArray(item) && typeof item[0] === "string" && Number.isInteger(item[1]) && (item[1] as number) >= 0) {
        out += item[0].repeat(item[1] as number);
      } else throw new Error(`!repeat: bad item ${JSON.stringify(item)}`);
    }
    return out;
  },
};

function loadCorpus(): CorpusFile[] {
  const files = readdirSync(DIR)
    .filter((n) => n.endsWith(".yaml"))
    .sort();
  return files.map((name) => {
    const doc = parse(readFileSync(join(DIR, name), "utf8"), { customTags: [repeatTag] }) as Record<string, unknown>;
    return { file: name, tool: doc.tool as string, arg: doc.arg as string, groups: doc.groups as Group[], ...(typeof doc.policyFile === "string" && { policy: join(DIR, doc.policyFile) }) };
  });
}

const corpus = loadCorpus();
/** The policy a corpus file runs against: its own `policyFile`, else the hardening policy. */
const policies = new Map(corpus.map((f) => [f.file, f.policy ? compilePolicy(readFileSync(f.policy, "utf8"), { filename: f.policy }) : policy]));

const cases: Case[] = corpus.flatMap((f) =>
  f.groups.flatMap((g) =>
    (["deny", "allow"] as const).flatMap((expected) =>
      (g[expected] ?? []).map((value) => ({ file: f.file, tool: f.tool, arg: f.arg, source: g.source, expected, value })),
    ),
  ),
);

const request = (tool: string, arg: string, value: unknown): PolicyRequest => ({
  principal: { roles: ["agent"] },
  tool,
  arguments: { [arg]: value },
});

const EVALUATORS: readonly [string, (r: PolicyRequest) => Decision][] = [
  ["decide", (r) => policy.decide(r)],
  ["interpret", (r) => policy.interpret(r)],
];

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 90 ? `${s.slice(0, 60)}... (${s.length} chars)` : s;
}

describe("the adversarial corpus is well formed", () => {
  it("has the four files, one per hardening tool, and the path-exclude file with its own policy", () => {
    expect(corpus.map((f) => f.file)).toEqual(["ip.yaml", "path-exclude.yaml", "path.yaml", "sql.yaml", "url.yaml"]);
    expect(corpus.map((f) => `${f.tool}(${f.arg})`).sort()).toEqual(["fetch_url(url)", "ping_host(ip)", "query_database(query)", "read_file(path)", "read_project_file(path)"]);
  });

  for (const f of corpus) {
    it(`${f.file}: every group names its source, lists cases, and uses only the known keys`, () => {
      expect(Array.isArray(f.groups) && f.groups.length > 0).toBe(true);
      for (const g of f.groups) {
        expect(Object.keys(g).filter((k) => !["source", "deny", "allow"].includes(k)), g.source).toEqual([]);
        expect(typeof g.source === "string" && g.source.trim().length > 0).toBe(true);
        expect((g.deny?.length ?? 0) + (g.allow?.length ?? 0), g.source).toBeGreaterThan(0);
        for (const k of ["deny", "allow"] as const) if (g[k] !== undefined) expect(Array.isArray(g[k]), `${g.source}: ${k}`).toBe(true);
      }
    });

    it(`${f.file}: values are strings except in the "wrong types" group (all denials)`, () => {
      for (const g of f.groups) {
        if (g.source === "wrong types") {
          expect(g.allow ?? [], "wrong types are never allowed").toEqual([]);
          expect((g.deny ?? []).some((v) => typeof v !== "string")).toBe(true);
        } else {
          for (const v of [...(g.deny ?? []), ...(g.allow ?? [])]) expect(typeof v, `${g.source}: ${show(v)}`).toBe("string");
        }
      }
    });

    it(`${f.file}: no value is listed twice (and so none is both allowed and denied)`, () => {
      const seen = new Map<string, string>();
      const dups: string[] = [];
      for (const c of cases.filter((x) => x.file === f.file)) {
        const key = JSON.stringify(c.value);
        if (seen.has(key)) dups.push(`${show(c.value)} (${seen.get(key)} and ${c.expected})`);
        else seen.set(key, c.expected);
      }
      expect(dups).toEqual([]);
    });
  }

  it("has at least 450 cases, at least 30% of them benign allows", () => {
    const allows = cases.filter((c) => c.expected === "allow").length;
    expect(cases.length).toBeGreaterThanOrEqual(450);
    expect(allows / cases.length).toBeGreaterThanOrEqual(0.3);
  });
});

for (const f of corpus) {
  describe(`${f.file}: ${f.tool}(${f.arg})`, () => {
    f.groups.forEach((g, gi) => {
      describe(`[${gi + 1}] ${g.source}`, () => {
        for (const c of cases.filter((x) => x.file === f.file && x.source === g.source)) {
          it(`${c.expected} ${show(c.value)}`, () => {
            const own = policies.get(c.file)!;
            for (const [name, evaluate] of own === policy ? EVALUATORS : ([["decide", (r: PolicyRequest) => own.decide(r)], ["interpret", (r: PolicyRequest) => own.interpret(r)]] as const)) {
              const d = evaluate(request(c.tool, c.arg, c.value));
              expect(d.effect, `${name}: ${JSON.stringify(d.reasons)}`).toBe(c.expected);
              if (c.expected === "deny") {
                const r = d.reasons[0];
                expect(r?.code, name).toBe("invalid_argument");
                expect(r?.rule, name).toBe(`tool:${c.tool}/args`);
                expect(r?.message.startsWith(`args.${c.arg}`), `${name}: message ${JSON.stringify(r?.message)}`).toBe(true);
              }
            }
          });
        }
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------------
// Properties.

const effects = (tool: string, arg: string, value: unknown): [Decision, Decision] => [
  policy.decide(request(tool, arg, value)),
  policy.interpret(request(tool, arg, value)),
];

/** %XX escapes decoded as UTF-8 bytes (invalid sequences become U+FFFD); other text kept. */
function percentDecode(s: string): string {
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < s.length; ) {
    if (s[i] === "%" && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      const cp = s.codePointAt(i)!;
      const w = cp > 0xffff ? 2 : 1;
      bytes.push(...enc.encode(s.slice(i, i + w)));
      i += w;
    }
  }
  return new TextDecoder("utf-8").decode(new Uint8Array(bytes));
}

/** The readings the spec names: as given, percent-decoded once and twice, NFKC, `\` as a separator. */
function pathReadings(v: string): string[] {
  const out: string[] = [];
  const once = percentDecode(v);
  for (const r of [v, once, percentDecode(once)]) {
    for (const n of [r, r.normalize("NFKC")]) out.push(n, n.replace(/\\/g, "/"));
  }
  return out;
}

const insideWorkspace = (p: string): boolean => {
  const r = posix.resolve("/workspace", p);
  return r === "/workspace" || r.startsWith("/workspace/");
};

const PATH_SEGMENTS = [
  ".", "..", "...", "....", "%2e", "%2E", "%2e%2e", "%2E%2e", ".%2e", "%2e.", "%252e", "%252e%252e", "%25%32%65",
  "%c0%ae", "%c0%ae%c0%ae", "%e0%80%ae", "\\", "..\\", "\\..", "․", "․․", "‥", "．", "．．", "﹒﹒", "／", "＼", "%2f", "%5c",
  "%252f", "%255c", "~", "～", "C:", "c:", "a", "b", "src", "workspace", "workspace-evil", "", "%", "%00", "\u0000", "\n",
  "résumé", "日本", "a..b",
];
const PATH_SEPARATORS = ["/", "/", "/", "\\", "", "%2f", "%5c", "／", "＼", "//"];

const pathArb = fc.oneof(
  fc
    .tuple(
      fc.constantFrom("", "", "/", "/workspace", "/workspace/", "//", "\\", "./"),
      fc.array(fc.tuple(fc.oneof(fc.constantFrom(...PATH_SEGMENTS), fc.string({ maxLength: 4 })), fc.constantFrom(...PATH_SEPARATORS)), {
        maxLength: 10,
      }),
    )
    .map(([prefix, parts]) => prefix + parts.map(([seg, sep]) => seg + sep).join("")),
  fc.string(),
  fc.string({ unit: "binary", maxLength: 30 }),
);

const URL_GOOD_HOSTS = ["api.github.com", "API.GITHUB.COM", "registry.npmjs.org", "a.example.com", "b.a.example.com", "a.example.com."];
const URL_BAD_HOSTS = [
  "example.com", ".example.com", "a.example.com..", "a..example.com", "evil.com", "api.github.com.evil.com", "evilapi.github.com",
  "127.0.0.1", "2130706433", "0x7f.1", "0177.0.0.1", "[::1]", "[::ffff:127.0.0.1]", "[fd00::1]", "169.254.169.254", "localhost",
  "аpi.github.com", "ａｐｉ.github.com", "api。github。com", "api%2egithub%2ecom", "a%2eexample.com", "①②⑦.0.0.1",
  "a.example.com%2f.evil.com", "evil.com#", "evil.com?", "evil.com\\", "evil.com%23", "", "*.example.com",
];

/** Mostly `common`, sometimes one of `rare`: keeps a good share of generated URLs allowed. */
const mostly = (common: string, ...rare: string[]): fc.Arbitrary<string> =>
  fc.oneof({ weight: 5, arbitrary: fc.constant(common) }, { weight: 1, arbitrary: fc.constantFrom(...rare) });

const urlShaped = fc
  .tuple(
    mostly("", " ", "\t", "\u00a0", "\u200b"),
    mostly("https", "HTTPS", "hTTps", "http", "ftp", "file", "javascript", "https+x", ""),
    mostly("://", ":/", ":", ":///", ":\\\\", "://\\", "//", ":\\/"),
    mostly("", "user@", "api.github.com@", "a.example.com:443@", "@", ":@", "evil.com#@"),
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...URL_GOOD_HOSTS) },
      { weight: 3, arbitrary: fc.domain().map((d) => `${d}.example.com`) },
      { weight: 3, arbitrary: fc.constantFrom(...URL_BAD_HOSTS) },
      { weight: 1, arbitrary: fc.domain().map((d) => `example.com.${d}`) },
      { weight: 1, arbitrary: fc.domain() },
      { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
    ),
    mostly("", ":443", ":8443", ":0", ":65536", ":", ":x", "@evil.com"),
    mostly("/", "", "/x?y=1#z", "#@api.github.com", "?@a.example.com", "/@evil.com", "\\@evil.com", "/%0d%0a", " ", "\t", "\r\n", "/../x"),
  )
  .map((parts) => parts.join(""));

/** A URL with one tricky character spliced in somewhere. */
const URL_SPLICE = ["@", "\\", "#", "?", "/", ".", "%", "%2e", "%40", ":", " ", "\t", "\n", "\u0000", "。", "．", "\u00ad", "[", "]"];
const urlArb = fc.oneof(
  { weight: 6, arbitrary: urlShaped },
  {
    weight: 2,
    arbitrary: fc
      .tuple(urlShaped, fc.nat(), fc.constantFrom(...URL_SPLICE))
      .map(([u, at, c]) => u.slice(0, at % (u.length + 1)) + c + u.slice(at % (u.length + 1))),
  },
  { weight: 1, arbitrary: fc.webUrl() },
  { weight: 1, arbitrary: fc.string() },
);

const ALLOWED_HOST = /^(?:api\.github\.com|registry\.npmjs\.org|(?:[^.]+\.)+example\.com)$/;

const SQL_TOKENS = [
  "SELECT", "1", "*", "FROM", "t", "WHERE", "a", "=", "$1", "'x'", "'", "\"", "$$", "$a$", "E'\\''", ";", "--", "\n", "/*", "*/", "(", ")",
  ",", "UNION", "ALL", "WITH", "AS", "INTO", "FOR", "UPDATE", "SHARE", "DELETE", "DROP", "TABLE", "INSERT", "VALUES", "pg_sleep",
  "pg_catalog.pg_read_file", "\"pg_sleep\"", "RETURNING", "COPY", "TO", "PROGRAM", "LIMIT", "ORDER", "BY", "\\", "::", "jsonb",
];
const sqlArb = fc.oneof(fc.array(fc.constantFrom(...SQL_TOKENS), { maxLength: 14 }).map((t) => t.join(" ")), fc.string(), fc.string({ unit: "binary", maxLength: 30 }));

describe("properties over policies/hardening.mcppolicy", () => {
  it("an allowed read_file path stays in /workspace under every reading (POSIX, `\\`, percent-decoding, NFKC)", () => {
    fc.assert(
      fc.property(pathArb, (value) => {
        const [d, i] = effects("read_file", "path", value);
        if (d.effect !== "allow" && i.effect !== "allow") return;
        for (const r of pathReadings(value)) expect(insideWorkspace(r), `${JSON.stringify(value)} read as ${JSON.stringify(r)}`).toBe(true);
      }),
      { numRuns: 4000 },
    );
  });

  it("an allowed fetch_url value is https to api.github.com, registry.npmjs.org or a subdomain of example.com", () => {
    fc.assert(
      fc.property(urlArb, (value) => {
        const [d, i] = effects("fetch_url", "url", value);
        if (d.effect !== "allow" && i.effect !== "allow") return;
        const u = new URL(value);
        expect(u.protocol).toBe("https:");
        expect(u.username + u.password).toBe("");
        // Host names compare ignoring one trailing dot (the README's reading).
        const host = u.hostname.endsWith(".") ? u.hostname.slice(0, -1) : u.hostname;
        expect(host, JSON.stringify(value)).toMatch(ALLOWED_HOST);
      }),
      { numRuns: 4000 },
    );
  });

  const ARGS: readonly [string, string, fc.Arbitrary<unknown>, number][] = [
    ["read_file", "path", pathArb, 1500],
    ["fetch_url", "url", urlArb, 1500],
    ["ping_host", "ip", fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4Extended(), fc.string({ maxLength: 45 })), 1500],
    ["query_database", "query", sqlArb, 600],
  ];
  for (const [tool, arg, arb, numRuns] of ARGS) {
    it(`${tool}(${arg}): random values never throw, always allow or deny, and decide agrees with interpret`, () => {
      fc.assert(
        fc.property(fc.oneof({ weight: 4, arbitrary: arb }, { weight: 1, arbitrary: fc.string() }, { weight: 1, arbitrary: fc.jsonValue() }), (value) => {
          const [d, i] = effects(tool, arg, value);
          expect(["allow", "deny"]).toContain(d.effect);
          expect(i.effect, JSON.stringify(value)).toBe(d.effect);
          if (d.effect === "deny") {
            for (const x of [d, i]) {
              expect(x.reasons[0]?.code).toBe("invalid_argument");
              expect(x.reasons[0]?.message.startsWith(`args.${arg}`)).toBe(true);
            }
          }
        }),
        { numRuns },
      );
    });
  }
});
