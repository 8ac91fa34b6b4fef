/**
 * Result blocks, differential and properties (fast-check): a fixed set of policies' `result of ...`
 * blocks × random results (text content with and without secrets, personal data, instructions and exfil
 * URLs drawn from the detector corpus test/detect/corpus, `structuredContent`, images, embedded resources
 * with text or blob, `isError`) × random targets, arguments, annotations and session facts:
 * - `policy.inspectResult` (compiled) and `policy.interpretResult` (the interpreter) give equal verdicts;
 * - `applyResultVerdict` never throws; a withheld result is an `isError` result saying why; a result deny
 *   withholds with its id; what it passes on carries no finding of the redacted detectors (object keys
 *   included), never contains a corpus secret that was redacted, and keeps binary `data`/`blob` as they are;
 * - a cap withholds exactly when the (redacted) result's JSON is larger than the cap.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyResultVerdict, compilePolicy, type Policy, type PolicyRequest, type ToolResult } from "../../src/index.js";
import { detect, isDetectorName, type DetectorName } from "../../src/builtins/detect/index.js";
import type { ResultVerdict } from "../../src/eval/core/results.js";
import { CORPUS_SECRETS } from "./helpers/corpus-secrets.js";

interface Case {
  id: string;
  value: unknown;
  expect: DetectorName[];
}
const dir = path.join(import.meta.dirname, "..", "detect", "corpus");
const corpus: Case[] = readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .flatMap((f) => JSON.parse(readFileSync(path.join(dir, f), "utf8")) as Case[]);
const textCases = corpus.filter((c) => typeof c.value === "string");

const POLICIES: readonly Policy[] = [
  `policy "web" version "1"
role agent { allow tool "*" }
result of tool get_webpage, read_inbox { label untrusted }
result of tool "*" when annotations.openWorldHint { label open_world }
result of tool "*" {
  label secret when result carries secret
  label personal when result carries pii
  redact secret, pii
  cap 2048 bytes
  deny "page-instructs-agent" when result carries instruction because "the page tries to instruct the agent"
}
result of resource "https://**" { label untrusted  redact secret }
`,
  `policy "strict" version "1"
role agent { allow tool "*" }
result of tool "*" {
  redact secret, pii, instruction, exfil
  cap 600 bytes
}
result of tool "read_*" { cap 300 bytes  label read }
`,
  `policy "session" version "1"
role agent { allow tool "*" }
result of tool "*" when "quarantined" in session.labels { deny "quarantine" because "the session is quarantined" }
result of tool "send_*", "get_*" {
  label tainted when args.url carries exfil or result.isError
  label kind_mail when result.structuredContent.kind == "mail"
  redact secret
  deny "failed" when result.isError == true
}
result of prompt "*" { redact pii  label prompted }
`,
  `policy "labels-only" version "1"
role agent { allow tool "*" }
result of tool "*" {
  label a when result carries secret and not (result carries pii)
  label b when "a" in session.labels or result carries exfil
  label c unless_never when false
}
`.replace("label c unless_never when false", "label c when tool.name matches \"get_*\""),
  `policy "fields" version "1"
role agent { allow tool "*" }
result of tool "*" {
  label notes on item.note for item in result.structuredContent.rows where item.note carries secret or result.isError == true
  label kinds on result.structured.kind
  label never on item.note for item in result.structured.rows where item.missing == "x"
  label any on item for item in result.structured.rows
}
result of tool "get_*" { label any }
`,
].map((t) => compilePolicy(t, { readFile: null }));

// ---- random results ----------------------------------------------------------------------------

const piece = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...textCases).map((c) => ({ text: c.value as string, id: c.id })) },
  { weight: 2, arbitrary: fc.constantFrom("Today's weather is sunny.", "Meeting at 10.", "", "ok", "{\"rows\": 3}").map((text) => ({ text, id: undefined as string | undefined })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((text) => ({ text, id: undefined as string | undefined })) },
);
/** A text made of corpus pieces (and the ids of the corpus cases it holds). */
const text = fc.array(piece, { minLength: 1, maxLength: 4 }).map((ps) => ({ text: ps.map((p) => p.text).join("\n\n"), ids: ps.flatMap((p) => (p.id ? [p.id] : [])) }));

interface Generated {
  result: ToolResult;
  /** Corpus cases put in text places (not binary). */
  ids: string[];
  /** Binary payloads, by where they are. */
  binaries: { at: (r: ToolResult) => unknown; value: string }[];
}

const binaryPayload = fc.oneof(fc.constantFrom("AKIAZ3YVKEKMM2M7IFN7", "aGVsbG8gd29ybGQ=", "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"), fc.base64String({ maxLength: 40 }));
const contentItem = fc.oneof(
  { weight: 4, arbitrary: text.map((t) => ({ item: { type: "text", text: t.text } as Record<string, unknown>, ids: t.ids, binary: undefined as string | undefined })) },
  { weight: 1, arbitrary: binaryPayload.map((d) => ({ item: { type: "image", data: d, mimeType: "image/png" } as Record<string, unknown>, ids: [] as string[], binary: d })) },
  { weight: 1, arbitrary: binaryPayload.map((d) => ({ item: { type: "audio", data: d, mimeType: "audio/wav" } as Record<string, unknown>, ids: [] as string[], binary: d })) },
  { weight: 1, arbitrary: binaryPayload.map((b) => ({ item: { type: "resource", resource: { uri: "file:///x.bin", blob: b, mimeType: "application/octet-stream" } } as Record<string, unknown>, ids: [] as string[], binary: b })) },
  { weight: 1, arbitrary: text.map((t) => ({ item: { type: "resource", resource: { uri: "file:///x.txt", text: t.text, mimeType: "text/plain" } } as Record<string, unknown>, ids: t.ids, binary: undefined as string | undefined })) },
);
const structured = fc.option(
  fc.tuple(text, text, fc.constantFrom("mail", "page", 3)).map(([a, b, kind]) => ({ value: { kind, body: a.text, data: b.text, rows: [{ note: b.text }] } as Record<string, unknown>, ids: [...a.ids, ...b.ids] })),
  { nil: undefined },
);
const result: fc.Arbitrary<Generated> = fc.tuple(fc.array(contentItem, { maxLength: 4 }), structured, fc.option(fc.boolean(), { nil: undefined })).map(([items, s, isError]) => {
  const r: ToolResult = { content: items.map((i) => i.item) as ToolResult["content"] };
  if (s) r.structuredContent = s.value;
  if (isError !== undefined) r.isError = isError;
  const binaries = items.flatMap((i, n) =>
    i.binary === undefined ? [] : [{ at: (x: ToolResult) => ((x.content as Record<string, unknown>[])[n]?.type === "resource" ? ((x.content as Record<string, Record<string, unknown>>[])[n]!.resource!.blob) : (x.content as Record<string, unknown>[])[n]?.data), value: i.binary }],
  );
  return { result: r, ids: [...items.flatMap((i) => i.ids), ...(s?.ids ?? [])], binaries };
});

const session = fc.oneof(
  fc.constant({ id: "s-1" } as Record<string, unknown>),
  fc.subarray(["untrusted", "quarantined", "a", "secret"]).map((labels) => ({ id: "s-1", labels }) as Record<string, unknown>),
);
const target = fc.oneof(
  { weight: 4, arbitrary: fc.record({ method: fc.constant("tools/call"), tool: fc.constantFrom("get_webpage", "read_inbox", "read_file", "send_email", "search", "get_x") }) },
  { weight: 1, arbitrary: fc.record({ method: fc.constant("resources/read"), resource: fc.constantFrom("https://news.example.com/a", "file:///etc/hosts") }) },
  { weight: 1, arbitrary: fc.record({ method: fc.constant("prompts/get"), prompt: fc.constantFrom("summarize", "review") }) },
);
const request = fc.tuple(target, session, fc.record({ openWorldHint: fc.boolean() }), fc.constantFrom({}, { url: "https://evil.example/collect?d=QUtJQUlPU0ZPRE5ON0VYQU1QTEUgd0phbHJYVXRuRkVNSS9LN01ERU5HL2JQeFJmaUNZRVhBTVBMRUtFWQ==" }, { url: "https://docs.example.com/a" }));

// ---- checks ------------------------------------------------------------------------------------

/** What the client reads as text: the result with its binary payloads (image/audio data, resource blobs) emptied. */
function textual(r: ToolResult): unknown {
  const copy = structuredClone(r) as Record<string, unknown>;
  for (const c of (Array.isArray(copy.content) ? copy.content : []) as Record<string, unknown>[]) {
    if (c?.type === "image" || c?.type === "audio") c.data = "";
    if (c?.type === "resource" && c.resource && typeof c.resource === "object") (c.resource as Record<string, unknown>).blob = "";
  }
  return copy;
}

function checkApplied(r: Generated, verdict: ResultVerdict): void {
  const applied = applyResultVerdict(r.result, verdict);
  if (applied.withheld) {
    expect(applied.result.isError).toBe(true);
    expect(applied.result.content).toEqual([{ type: "text", text: applied.withheld.message }]);
    expect(applied.changed).toBe(true);
  }
  if (verdict.deny) {
    expect(applied.withheld?.id).toBe(verdict.deny.id);
    return;
  }
  // The cap: withheld exactly when the redacted result's JSON is larger.
  const uncapped = applyResultVerdict(r.result, { ...verdict, capBytes: undefined });
  expect(uncapped.withheld).toBeUndefined();
  const size = Buffer.byteLength(JSON.stringify(uncapped.result), "utf8");
  const overCap = verdict.capBytes !== undefined && size > verdict.capBytes;
  expect(applied.withheld?.id).toBe(overCap ? "result_cap" : undefined);
  const out = uncapped.result;
  // Nothing the redacted detectors find is left (object keys and key context included).
  const view = textual(out);
  for (const d of verdict.redact.filter(isDetectorName)) expect({ d, found: detect(d, view) }).toEqual({ d, found: false });
  if (verdict.redact.includes("secret")) {
    const json = JSON.stringify(view);
    for (const id of r.ids) for (const f of CORPUS_SECRETS[id] ?? []) expect(json).not.toContain(JSON.stringify(f).slice(1, -1));
  }
  // Binary payloads untouched; the input never changed.
  for (const b of r.binaries) expect(b.at(out)).toBe(b.value);
  if (verdict.redact.length === 0) expect(out).toEqual(r.result);
  expect(applied.changed || verdict.redact.length > 0 || applied.result === r.result).toBe(true);
}

describe("result blocks: compiled == interpreter, and what applyResultVerdict passes on", () => {
  it("inspectResult and interpretResult agree; applied results keep every guarantee", () => {
    const seen = { deny: 0, cap: 0, redacted: 0, labels: 0, errors: 0, binaries: 0 };
    fc.assert(
      fc.property(fc.constantFrom(...POLICIES.keys()), request, result, (pi, [t, s, annotations, args], r) => {
        const policy = POLICIES[pi]!;
        const before = structuredClone(r.result);
        const req = { principal: { id: "agent-1", roles: ["agent"] }, ...t, arguments: args, annotations, session: s, result: r.result } as PolicyRequest;
        const compiled = policy.inspectResult(req);
        const reference = policy.interpretResult(req);
        expect(compiled).toEqual(reference);
        checkApplied(r, compiled);
        expect(r.result).toEqual(before); // neither inspecting nor applying changes the tool's result
        const applied = applyResultVerdict(r.result, compiled);
        if (compiled.deny) seen.deny++;
        if (applied.withheld?.id === "result_cap") seen.cap++;
        if (!applied.withheld && applied.changed) seen.redacted++;
        if (compiled.labels.length) seen.labels++;
        if (compiled.errors.length) seen.errors++;
        if (!applied.withheld && r.binaries.length && compiled.redact.length) seen.binaries++;
      }),
      { numRuns: 400 },
    );
    // The runs visited every branch (a generator that stopped producing some would pass vacuously).
    for (const [k, n] of Object.entries(seen)) expect({ k, visited: n > 0 }).toEqual({ k, visited: true });
  });

  it("never throws and always withholds or passes a plain result on arbitrary junk", () => {
    const verdicts: ResultVerdict[] = [
      { labels: [], redact: ["secret", "pii", "instruction", "exfil"], errors: [] },
      { labels: [], redact: ["secret"], capBytes: 64, errors: [] },
      { labels: [], redact: [], capBytes: 1, errors: [] },
    ];
    fc.assert(
      fc.property(fc.anything({ withObjectString: true, withNullPrototype: true, withBigInt: true }), fc.constantFrom(...verdicts), (junk, v) => {
        const applied = applyResultVerdict(junk, v);
        if (applied.withheld) expect(applied.result.isError).toBe(true);
      }),
      { numRuns: 300 },
    );
    // Deeper than the walk goes, and a throwing getter: withheld, never passed on unchecked.
    let deep: unknown = "AKIAZ3YVKEKMM2M7IFN7";
    for (let i = 0; i < 200; i++) deep = { x: deep };
    expect(applyResultVerdict({ content: [], structuredContent: deep }, verdicts[0]!).withheld?.id).toBe("result_unreadable");
    const hostile = { content: [{ type: "text", get text(): string { throw new Error("boom"); } }] };
    expect(applyResultVerdict(hostile, verdicts[0]!).withheld?.id).toBe("result_unreadable");
  });

  it("the engine-facing verdict and the interpreter agree on requests that are not results, and on malformed ones", () => {
    const p = POLICIES[0]!;
    const reqs: unknown[] = [
      { principal: { roles: ["agent"] }, tool: "get_webpage" },
      { principal: { roles: ["agent"] }, method: "tools/list", tool: "get_webpage", result: {} },
      { principal: { roles: ["agent"] }, tool: "get_webpage", session: { labels: "x" }, result: {} },
      null,
      "junk",
    ];
    for (const r of reqs) expect(p.inspectResult(r as PolicyRequest)).toEqual(p.interpretResult(r as PolicyRequest));
    expect(p.inspectResult(reqs[2] as PolicyRequest).deny?.id).toBe("invalid_request");
  });
});
