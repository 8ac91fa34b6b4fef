/**
 * The checker's named stages: the list in src/check/stages.ts is what runs, in its order; every
 * product a stage needs comes from an earlier stage; each stage lives in its own file saying what it
 * guarantees; the check stops before a stage that needs error-free input, after a halting stage that
 * reported an error, and after a stage a tool asks for (`stopAfter`).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkPolicyFiles, runStages } from "../src/check/check.js";
import { STAGES, STAGE_NAMES } from "../src/check/stages.js";
import { defineStage, type ProductName } from "../src/check/state.js";
import { loadPolicy } from "../src/syntax/load.js";

const STAGES_DIR = join(import.meta.dirname, "..", "src", "check", "stages");

function asts(text: string) {
  const loaded = loadPolicy(text, "/virtual/main.mcppolicy", undefined);
  expect(loaded.diagnostics).toEqual([]);
  return loaded.asts;
}

const CLEAN = `policy "clean"
set internal: cidr = ["10.0.0.0/8"]
role dev {
  member when principal.id == "ann"
  allow tool read_file when client.ip in internal
  limit calls 10 per hour
}
role lead includes dev { allow tool write_file }
tool read_file { risk low }
tool write_file { risk high  approval required }
deny tool write_file when client.ip in loopback because "not from here"
limit rate 5 per second
`;

const codes = (r: { diagnostics: readonly { code: string }[] }) => r.diagnostics.map((d) => d.code);

describe("the checker stage list", () => {
  it("names the stages in their order", () => {
    expect(STAGE_NAMES).toEqual(["declarations", "session", "sets", "role-includes", "rule-count", "rule-ids", "policy-rules", "roles", "tools", "policy-limits", "results", "lints", "lower"]);
  });

  it("every product a stage needs is produced by an earlier stage", () => {
    const made = new Set<ProductName>();
    for (const s of STAGES) {
      for (const need of s.needs) expect(made.has(need), `${s.name} needs ${need}`).toBe(true);
      for (const p of s.produces) made.add(p);
    }
  });

  it("each product is produced by exactly one stage, and the last stage produces the IR", () => {
    const produced = STAGES.flatMap((s) => [...s.produces]);
    expect(new Set(produced).size).toBe(produced.length);
    expect(STAGES[STAGES.length - 1]!.produces).toEqual(["ir"]);
  });

  it("stages that need error-free input come after every stage that runs on any input", () => {
    const firstErrorFree = STAGES.findIndex((s) => s.input === "error-free");
    expect(firstErrorFree).toBeGreaterThan(0);
    expect(STAGES.slice(firstErrorFree).every((s) => s.input === "error-free")).toBe(true);
    expect(STAGES.filter((s) => s.input === "error-free").map((s) => s.name)).toEqual(["lints", "lower"]);
  });

  it("a stage reads only the products it declares, and returns exactly those it declares (type errors otherwise)", () => {
    const reads = defineStage({
      name: "probe",
      needs: ["declarations"],
      produces: ["ruleCount"],
      input: "any",
      // @ts-expect-error `roles` is not among this stage's needs
      run({ declarations, roles }) {
        return { ruleCount: declarations.topRules.length + (roles ? 1 : 0) };
      },
    });
    const returns = defineStage({
      name: "probe",
      needs: [],
      produces: ["ruleCount"],
      input: "any",
      // @ts-expect-error `budgets` is not among this stage's products
      run() {
        return { ruleCount: 0, budgets: [] };
      },
    });
    expect([reads.needs, returns.produces]).toEqual([["declarations"], ["ruleCount"]]);
  });

  it("each stage has its own file under src/check/stages/, named after it, whose header says what it guarantees", () => {
    const files = readdirSync(STAGES_DIR).filter((f) => f.endsWith(".ts"));
    expect(files.map((f) => f.replace(/\.ts$/, "")).sort()).toEqual([...STAGE_NAMES].sort());
    for (const f of files) {
      const text = readFileSync(join(STAGES_DIR, f), "utf8");
      const header = text.slice(0, text.indexOf("*/"));
      expect(text.startsWith("/**"), f).toBe(true);
      expect(header, f).toContain(`Stage \`${f.replace(/\.ts$/, "")}\``);
      expect(header, f).toMatch(/Guarantees:|reports warnings and changes nothing/);
    }
  });
});

describe("the driver runs the list", () => {
  it("runs every stage in order on a clean policy, and the IR is the last stage's product", () => {
    const r = runStages(asts(CLEAN));
    expect(r.diagnostics).toEqual([]);
    expect(r.ran).toEqual(STAGE_NAMES);
    expect(Object.keys(r.products).sort()).toEqual(STAGES.flatMap((s) => [...s.produces]).sort());
    const ir = r.products.ir!;
    expect([...ir.roles.keys()]).toEqual(["dev", "lead"]);
    expect(ir.roles.get("lead")!.closure).toEqual(["dev", "lead"]);
    expect(ir.topDenies.map((x) => x.id)).toEqual(["policy/1"]);
    expect([...ir.sets.keys()]).toEqual(["internal", "loopback"]);
    expect(ir.budgets.map((b) => b.id)).toEqual(["policy/limit/1"]);
    expect(ir.ruleCount).toBe(3);
    expect(checkPolicyFiles(asts(CLEAN)).ir).toBeDefined();
  });

  it("stops before the error-free stages once an error is reported, after reporting the errors of every other stage", () => {
    // One error each from declarations (E0103), sets (E0203), role-includes (E0101), roles (E0102),
    // tools (E0209) and policy-limits (E0111): all reported at once; no lint, no IR.
    const text = `policy "broken"
set nets: cidr = ["not-an-ip"]
role dev includes nobody { allow tool t when client.ip in nowhere }
role dev { allow tool t }
tool t { risk extreme }
limit potatoes 5 per second
`;
    const r = runStages(asts(text));
    expect(r.ran).toEqual(STAGE_NAMES.filter((n) => n !== "lints" && n !== "lower"));
    expect(r.products.ir).toBeUndefined();
    expect(new Set(codes(r))).toEqual(new Set(["E0103", "E0203", "E0101", "E0102", "E0209", "E0111"]));
    expect(checkPolicyFiles(asts(text)).ir).toBeUndefined();
  });

  it("a lint runs only when the policy has no error", () => {
    const shadowed = 'policy "p"\nrole r {\n  allow tool t\n  deny tool t\n}\n';
    expect(codes(runStages(asts(shadowed)))).toEqual(["W0001"]);
    const withError = shadowed + "tool t { risk extreme }\n";
    expect(codes(runStages(asts(withError)))).toEqual(["E0209"]);
  });

  it("more rules than the limit halt the check right after rule-count: no rule is lowered", () => {
    const rules = Array.from({ length: 1001 }, (_, i) => `role r${i} {\n${"  allow tool t when principal.nope\n".repeat(100)}}`).join("\n");
    const r = runStages(asts('policy "many"\n' + rules));
    expect(r.ran).toEqual(["declarations", "session", "sets", "role-includes", "rule-count"]);
    // `principal.nope` would be E0105 in each of the 100,100 rules had they been lowered.
    expect(codes(r)).toEqual(["E0302"]);
    expect(r.products.ruleCount).toBe(100_100);
  });
});

describe("stopAfter, for tools that need part of the check", () => {
  const text = `policy "p"
set nets: cidr = ["not-an-ip"]
role dev { allow tool t when client.ip in nets and principal.nope }
`;
  it("after sets: the declarations and the lowered sets, and only their diagnostics", () => {
    const r = runStages(asts(text), {}, { stopAfter: "sets" });
    expect(r.ran).toEqual(["declarations", "session", "sets"]);
    expect(Object.keys(r.products).sort()).toEqual(["declarations", "retention", "sets"]);
    expect(codes(r)).toEqual(["E0203"]);
    expect([...r.products.sets!.keys()]).toEqual(["nets"]);
  });

  it("after declarations: the symbol tables are filled, nothing is lowered", () => {
    const r = runStages(asts(text), {}, { stopAfter: "declarations" });
    expect(r.ran).toEqual(["declarations"]);
    expect(codes(r)).toEqual([]);
    expect(r.products.declarations!.topRules).toEqual([]);
  });

  it("the whole check reports the rule's error too", () => {
    expect(new Set(codes(runStages(asts(text))))).toEqual(new Set(["E0203", "E0105"]));
  });
});
