/**
 * Redaction against the detector corpus (test/detect/corpus), through the ENGINE: a policy with
 * `result of tool "*" { redact secret, pii }`, `createEngine` + `commit(usage, result)`, and what the
 * client would get (`commit(...).result`). Every case is put in a tool result twice: as text content and
 * as a `structuredContent` string leaf (a case whose value is structured: as `structuredContent` itself).
 * - Every case that carries a secret: each of its secret fragments (test/session/helpers/corpus-secrets.ts,
 *   written by hand, not by the detector) is gone from every string the client gets, and no finding of
 *   `secret` or `pii` is left.
 * - Every case that carries personal data: no `pii` finding is left.
 * - Every benign look-alike (neither secret nor pii): the result reaches the client byte-identical
 *   (false positives count as much as misses). ACCEPTED lists the ones we let change, with the reason.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compilePolicy, createEngine, MemoryStore, type PolicyRequest, type ToolResult } from "../../src/index.js";
import { detect, type DetectorName } from "../../src/builtins/detect/index.js";
import { CORPUS_SECRETS } from "./helpers/corpus-secrets.js";

interface Case {
  id: string;
  value: unknown;
  expect: DetectorName[];
  accepted?: Partial<Record<DetectorName, string>>;
}

const dir = path.join(import.meta.dirname, "..", "detect", "corpus");
const corpus: { file: string; c: Case }[] = readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .flatMap((file) => (JSON.parse(readFileSync(path.join(dir, file), "utf8")) as Case[]).map((c) => ({ file, c })));

/** What a case truly carries (the corpus's `expect`, corrected by its accepted deviations). */
function truth(c: Case, name: DetectorName): boolean {
  const acc = c.accepted?.[name];
  if (acc === undefined) return c.expect.includes(name);
  return acc.startsWith("miss");
}

/**
 * Benign cases (no secret, no pii in truth) that redaction may change, with the reason. Each is a false
 * positive the detector corpus itself accepts or a benign text that carries a detected pattern by design.
 */
const ACCEPTED_CHANGES: Readonly<Record<string, string>> = {};

const POLICY = compilePolicy(`policy "redact-all" version "1"
default deny
role agent { allow tool "*" }
result of tool "*" { redact secret, pii }
`);

const call: PolicyRequest = { principal: { id: "agent-1", roles: ["agent"] }, method: "tools/call", tool: "read_anything", arguments: {}, session: { id: "s-1" } };

/** Every string the client gets (object keys included: a key is text the client reads too). */
function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => strings(x, out));
  else if (v !== null && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      out.push(k);
      strings(x, out);
    }
  }
  return out;
}

function resultsOf(value: unknown): ToolResult[] {
  if (typeof value === "string") {
    return [
      { content: [{ type: "text", text: value }] },
      { content: [{ type: "text", text: "see the structured content" }], structuredContent: { field: value, nested: [{ deep: value }] } },
    ];
  }
  const structured = value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
  return [{ content: [{ type: "text", text: JSON.stringify(value) }], structuredContent: structured }];
}

async function throughEngine(result: ToolResult): Promise<ToolResult> {
  const engine = createEngine(POLICY, { store: new MemoryStore() });
  const a = await engine.authorize(call);
  expect(a.effect).toBe("allow");
  const out = await a.commit({}, result);
  expect(out.withheld).toBeUndefined();
  expect(out.result).toBeDefined();
  return out.result!;
}

describe("redaction of the detector corpus through the engine", () => {
  it("every secret case of the corpus has its secret fragments listed (by hand)", () => {
    const secretCases = corpus.filter(({ c }) => truth(c, "secret")).map(({ c }) => c.id);
    expect(secretCases.length).toBeGreaterThan(40);
    expect(secretCases.filter((id) => CORPUS_SECRETS[id] === undefined)).toEqual([]);
    for (const id of Object.keys(CORPUS_SECRETS)) expect(secretCases).toContain(id);
  });

  for (const { file, c } of corpus) {
    const secret = truth(c, "secret");
    const pii = truth(c, "pii");
    const what = secret ? "its secret is gone" : pii ? "its personal data is gone" : "a benign look-alike passes byte-identical";
    it(`${file} ${c.id}: ${what}`, async () => {
      for (const result of resultsOf(c.value)) {
        const got = await throughEngine(result);
        const texts = strings(got);
        if (secret || pii) {
          // What the client gets carries no finding of the redacted detectors.
          for (const s of texts) {
            expect({ s, secret: detect("secret", s) }).toEqual({ s, secret: false });
            expect({ s, pii: detect("pii", s) }).toEqual({ s, pii: false });
          }
          for (const fragment of CORPUS_SECRETS[c.id] ?? []) {
            for (const s of texts) expect(s).not.toContain(fragment);
            expect(JSON.stringify(got)).not.toContain(JSON.stringify(fragment).slice(1, -1));
          }
          expect(JSON.stringify(got)).toContain("[REDACTED:");
        } else if (ACCEPTED_CHANGES[c.id] === undefined) {
          expect(got).toEqual(result);
          expect(JSON.stringify(got)).toBe(JSON.stringify(result));
        }
      }
    });
  }

  it("binary payloads are left alone even when they hold a secret (they are not text)", async () => {
    const blob = Buffer.from("AKIAZ3YVKEKMM2M7IFN7").toString("base64");
    const result: ToolResult = {
      content: [
        { type: "image", data: "AKIAZ3YVKEKMM2M7IFN7", mimeType: "image/png" },
        { type: "resource", resource: { uri: "file:///k.bin", blob, mimeType: "application/octet-stream" } },
        { type: "resource", resource: { uri: "file:///k.txt", text: "key AKIAZ3YVKEKMM2M7IFN7", mimeType: "text/plain" } },
      ],
    };
    const got = await throughEngine(result);
    const content = got.content as Record<string, unknown>[];
    expect(content[0]).toEqual(result.content![0]);
    expect(content[1]).toEqual(result.content![1]);
    expect(JSON.stringify(content[2])).not.toContain("AKIAZ3YVKEKMM2M7IFN7");
  });

  // Regressions (redaction used to keep every `data`/`blob` key, and never looked at keys or key context).
  it("a `data` or `blob` key in structuredContent is text: redacted", async () => {
    const got = await throughEngine({ content: [], structuredContent: { data: "key AKIAZ3YVKEKMM2M7IFN7", rows: [{ blob: "mail emma.johnson@bluesparrowtech.com" }] } });
    expect(JSON.stringify(got)).not.toContain("AKIAZ3YVKEKMM2M7IFN7");
    expect(JSON.stringify(got)).not.toContain("emma.johnson@bluesparrowtech.com");
  });

  it("a key holding a secret or an email is redacted; one value named a secret by its key is replaced whole", async () => {
    const got = await throughEngine({ content: [], structuredContent: { 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: "owner", "lena.meier@posteo.de": 1, service: { apiKey: "jUfVgbp3oVftkIYm1SvSaMMhh8jSvK8d" } } });
    const json = JSON.stringify(got);
    for (const s of ["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", "lena.meier@posteo.de", "jUfVgbp3oVftkIYm1SvSaMMhh8jSvK8d"]) expect(json).not.toContain(s);
    expect(got.structuredContent).toEqual({ "[REDACTED:github-token]": "owner", "[REDACTED:email]": 1, service: { apiKey: "[REDACTED:secret]" } });
  });
});
