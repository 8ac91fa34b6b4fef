/**
 * Golden diagnostics of the gateway's config (E10xx, W10xx): each test/gateway/config-goldens/CODE-*.yaml
 * is loaded with a fixed environment and its diagnostics (or, for a config that loads, its warnings) are
 * rendered like rustc and as JSON; both must equal the committed goldens beside it, the file must yield its
 * CODE, and every config code of the catalog must have a golden. UPDATE_GOLDEN=1 rewrites them after a
 * deliberate change (never under CI).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { CATALOG } from "../../src/diagnostics/catalog.js";
import { configDiagnosticsJson, loadGatewayConfig, parseGatewayConfig, renderConfigDiagnostics, type ConfigResult } from "../../src/gateway/config/index.js";

const DIR = join(import.meta.dirname, "config-goldens");
const ROOT = join(import.meta.dirname, "..", "..");
const UPDATE = process.env.UPDATE_GOLDEN === "1";
/** The only environment the goldens see: `GOLDEN_TEAM` is set, `GOLDEN_UNSET_TOKEN` is not. */
const ENV = { GOLDEN_TEAM: "platform" };

function golden(path: string, actual: string) {
  if (UPDATE || !existsSync(path)) {
    if (!UPDATE && process.env.CI) throw new Error(`missing golden ${path}`);
    writeFileSync(path, actual);
  }
  expect(actual).toBe(readFileSync(path, "utf8"));
}

function rendered(r: ConfigResult) {
  const diags = r.ok ? r.warnings : r.diagnostics;
  return {
    codes: diags.map((d) => d.code),
    text: renderConfigDiagnostics(diags, r.source),
    json: JSON.stringify(configDiagnosticsJson(diags, r.source), null, 2) + "\n",
  };
}

const seen = new Set<string>();
const files = readdirSync(DIR).filter((f) => /^[EW]\d{4}-.*\.yaml$/.test(f)).sort();

describe("gateway config goldens", () => {
  for (const f of files) {
    it(f, () => {
      const path = join(DIR, f);
      const r = loadGatewayConfig(relative(ROOT, path), { env: ENV });
      const out = rendered(r);
      out.codes.forEach((c) => seen.add(c));
      const code = f.slice(0, 5);
      expect(out.codes).toContain(code);
      // A warning's golden is a config that loads; an error's is one that does not.
      expect(r.ok).toBe(code.startsWith("W"));
      golden(path.replace(/\.yaml$/, ".txt"), out.text);
      golden(path.replace(/\.yaml$/, ".json"), out.json);
    });
  }

  it("E1013: the config file itself is missing", () => {
    const r = loadGatewayConfig("test/gateway/config-goldens/no-such-config.yaml", { env: ENV });
    expect(r.ok).toBe(false);
    const out = rendered(r);
    out.codes.forEach((c) => seen.add(c));
    expect(out.codes).toEqual(["E1013"]);
    golden(join(DIR, "generated-E1013-no-config-file.txt"), out.text);
  });

  it("an expanded secret never appears in a diagnostic", () => {
    const text = "policy: _policy.mcppolicy\nupstreams:\n  - name: a\n    url: \"${GOLDEN_SECRET_URL}\"\n    headers: { Authorization: \"${GOLDEN_SECRET}\", Bad: \"${GOLDEN_NL}\" }\n";
    const env = { GOLDEN_SECRET_URL: "ftp://hunter2@x", GOLDEN_SECRET: "hunter2", GOLDEN_NL: "hunter2\nX: y" };
    const r = parseGatewayConfig(text, "test/gateway/config-goldens/inline.yaml", { env });
    expect(r.ok).toBe(false);
    const out = rendered(r);
    expect(out.codes).toEqual(expect.arrayContaining(["E1012", "E1006"]));
    expect(out.text).not.toContain("hunter2");
    expect(out.json).not.toContain("hunter2");
  });

  it("every config code of the catalog has a golden", () => {
    const configCodes = Object.keys(CATALOG).filter((c) => /^[EW]10\d\d$/.test(c));
    expect(configCodes.length).toBeGreaterThan(10);
    expect(configCodes.filter((c) => !seen.has(c))).toEqual([]);
  });
});
