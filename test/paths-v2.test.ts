/**
 * Paths (issue 11) beyond the conformance cases: the analysis and the testing kit read policies that use
 * `path(root: [...], exclude: [...])`, typed path reads and `any path arg` without crashing, and their
 * answers agree with the evaluators; typed reads apply only when EVERY targeted tool types the field
 * `path(...)`; the W0019 lint's edges; parsing of the soft words.
 */
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { analyzePolicy, canRoleCall, checkPolicy, compilePolicy, whatMay, type Policy } from "mcppolicy";
import { forAllRequests, toolsListMatchesCalls } from "mcppolicy/testing";

const ROOT = join(import.meta.dirname, "..");
const read = (p: string) => readFileSync(join(ROOT, p), "utf8");
const compile = (text: string, file = "t.mcppolicy") => compilePolicy(text, { filename: file });
const conformance = (parse(read("test/conformance/paths-v2.yaml")) as { policies: { policy: string }[] }).policies.map((g) => g.policy);
const POLICIES: [string, Policy][] = [
  ["filesystem-server fixture", compile(read("test/fixtures/filesystem-server.mcppolicy"))],
  ["path-exclude fixture", compile(read("test/fixtures/path-exclude.mcppolicy"))],
  ...conformance.map((t, i): [string, Policy] => [`paths-v2 conformance #${i + 1}`, compile(t)]),
];
const codes = (text: string) => checkPolicy(text, { filename: "t.mcppolicy" }).diagnostics.map((d) => d.code);

describe("the analysis and the testing kit understand the new constructs", () => {
  it.each(POLICIES)("analyzePolicy and the questions run on %s", (_name, p) => {
    const report = analyzePolicy(p);
    expect(Array.isArray(report.findings)).toBe(true);
    for (const role of p.ir.roles.keys()) {
      for (const tool of p.ir.tools.keys()) expect(typeof canRoleCall(p, role, tool).answer).toBe("string");
      expect(whatMay(p, { roles: [role] })).toBeDefined();
    }
  });

  it.each(POLICIES)("tools/list agrees with tools/call on %s", (_name, p) => {
    toolsListMatchesCalls(p, { numRuns: 200 });
  });

  it("forAllRequests: no call the filesystem fixture allows carries a `.env` path in any path argument", () => {
    const p = POLICIES[0]![1];
    const dotenv = (v: unknown): boolean => typeof v === "string" && /(^|\/)\.env$/.test(v);
    for (const tool of ["move_file", "read_multiple_files", "write_file"]) {
      forAllRequests(
        p,
        { tool },
        (r, d) => d.effect !== "allow" || !Object.values(r.arguments ?? {}).some((v) => dotenv(v) || (Array.isArray(v) && v.some(dotenv))),
        { numRuns: 300 },
      );
    }
  });
});

describe("typed path reads", () => {
  const base = `policy "p"\nrole dev {\n  allow tool "*"\n  RULE\n}\ntool a { args { path: path(root: "/srv/a") } }\ntool b { args { path: path(root: "/srv/b") } }\ntool c { args { path: string } }\n`;
  const with_ = (rule: string) => compile(base.replace("RULE", rule));
  const call = (tool: string, path: unknown) => ({ principal: { roles: ["dev"] }, tool, arguments: { path } });

  it("resolve per called tool when every target types the field path(...), each against its own root", () => {
    const p = with_('deny tool a, b when args.path matches "**/secret"');
    for (const [tool, v] of [["a", "secret"], ["b", "x/../secret"], ["a", "/srv/a/secret"]] as const) {
      expect(p.decide(call(tool, v)).reasons[0]?.code, `${tool} ${v}`).toBe("deny_rule");
      expect(p.interpret(call(tool, v)).reasons[0]?.code, `${tool} ${v}`).toBe("deny_rule");
    }
    expect(p.ir.roles.get("dev")!.rules[1]!.when).toMatchObject({ k: "pathRead", op: "matches", r: { k: "lit", value: "**/secret" } });
    // Read in another position (here: `contains`'s right side), the node is the path itself.
    const other = with_('deny tool a, b when ["/srv/a/x"] contains args.path').ir.roles.get("dev")!.rules[1]!.when!;
    expect(other.k === "contains" && other.r).toMatchObject({ k: "pathRead" });
    expect(other.k === "contains" && other.r.k === "pathRead" && other.r.op).toBeUndefined();
  });

  it("stay raw when some target does not type the field path(...) or the target is a glob", () => {
    expect(with_('deny tool a, c when args.path matches "**/secret"').ir.roles.get("dev")!.rules[1]!.when!.k).toBe("matches");
    const viaGlob = with_('deny tool "*" when args.path matches "**/secret"').ir.roles.get("dev")!.rules[1]!.when!;
    expect(viaGlob.k === "matches" && viaGlob.l.k).toBe("attr");
    // `has` still tests presence.
    expect(with_("deny tool a when has args.path").ir.roles.get("dev")!.rules[1]!.when!.k).toBe("has");
  });
});

describe("any path arg: syntax and checks", () => {
  const head = 'policy "p"\nrole dev {\n  allow tool read_file\n}\ntool read_file { args { path: path(root: "/srv/a") } }\n';
  it("is three soft words: `any`, `path` and `arg` stay usable as names", () => {
    expect(codes(`${head}const path = "x"\nconst arg = "y"\ndeny tool t when args.any == path or args.arg == arg\ntool t { args { any: any, arg: any } }\n`)).toEqual([]);
    expect(codes(`${head}tool u { args { any: any, path: string, arg: any } }\n`)).toEqual([]);
    expect(codes(`${head}deny tool "*" when not any path arg matches "/srv/a/ok/*"\n`)).toEqual([]);
    expect(codes(`${head}deny tool "*" when (any path arg in ["/srv/a/x"]) or any path arg != "/srv/a/y"\n`)).toEqual([]);
  });
  it("refuses operators and right sides that do not compare paths", () => {
    expect(codes(`${head}deny tool "*" when any path arg > 3\n`)).toEqual(["E0243"]);
    expect(codes(`${head}deny tool "*" when any path arg == 3\n`)).toEqual(["E0243"]);
    expect(codes(`${head}deny tool "*" when any path arg matches "^/etc"\n`)).toEqual(["E0210"]);
    expect(codes(`${head}set nets: cidr = ["10.0.0.0/8"]\ndeny tool "*" when any path arg in nets\n`)).toEqual(["E0202"]);
  });
  it("W0019 names declared tools without an object args block, exact or through a glob", () => {
    expect(codes(`${head}deny tool "*" when any path arg matches "**/.env"\n`)).toEqual([]);
    expect(codes(`${head}tool run { risk high }\ndeny tool "*" when any path arg matches "**/.env"\n`)).toEqual(["W0019"]);
    expect(codes(`${head}deny tool fetch when any path arg matches "**/.env"\n`)).toContain("W0019");
    expect(codes(`${head}tool run { risk high }\ndeny tool read_file when any path arg matches "**/.env"\n`)).toEqual([]);
  });
});

describe("several roots and excludes on a realpath host (real files and symlinks)", () => {
  const base = realpathSync(mkdtempSync(join(tmpdir(), "mcpp-paths-v2-")));
  afterAll(() => rmSync(base, { recursive: true, force: true }));
  for (const d of ["a/.git", "b/docs", "outside"]) mkdirSync(join(base, d), { recursive: true });
  writeFileSync(join(base, "a", ".git", "config"), "x");
  writeFileSync(join(base, "b", ".env"), "x");
  symlinkSync(join(base, "a", ".git"), join(base, "a", "notes")); // a/notes -> a/.git
  symlinkSync(join(base, "b", ".env"), join(base, "b", "docs", "settings")); // into the other root, excluded
  symlinkSync(join(base, "b", "docs"), join(base, "a", "shared")); // a/shared -> b/docs (the other root: inside)
  symlinkSync(join(base, "outside"), join(base, "a", "out"));
  const text = `policy "p"\nrole r { allow tool read_file }\ntool read_file { args { path: path(root: ["${base}/a", "${base}/b"], exclude: ["**/.git/**", "**/.env"]) } }\n`;
  const p = compilePolicy(text, { filename: "t.mcppolicy", readFile: null, realpath: realpathSync.native });
  const call = (path: string) => [p.decide({ principal: { roles: ["r"] }, tool: "read_file", arguments: { path } }), p.interpret({ principal: { roles: ["r"] }, tool: "read_file", arguments: { path } })];

  it("checks excludes on the physical path, and lets a symlink lead into another root", () => {
    for (const [v, effect, msg] of [
      ["notes/config", "deny", /excluded by `\*\*\/\.git\/\*\*` \(`[^`]*\/a\/\.git\/config`\) after following symbolic links/],
      ["shared/settings", "deny", /excluded by `\*\*\/\.env`/],
      ["out/x", "deny", /symbolic link/],
      ["shared/new.txt", "allow", undefined],
      [`${base}/b/docs/x`, "allow", undefined],
    ] as const) {
      for (const d of call(v)) {
        expect(d.effect, v).toBe(effect);
        if (msg) expect(d.reasons[0]!.message, v).toMatch(msg);
      }
    }
  });
});

describe("the analysis's witnesses for path rules", () => {
  it("finds a denied witness through a typed read and through any path arg (move_file's source or destination)", () => {
    const p = compile(`policy "p"
role dev {
  allow tool read_file, move_file
  deny tool read_file when args.path matches "/srv/a/.git/*"
}
deny tool "*" when any path arg matches "**/.env"
tool read_file { args { path: path(root: "/srv/a") } }
tool move_file { args { source: path(root: "/srv/a"), destination: path(root: "/srv/a") } }
`);
    for (const tool of ["read_file", "move_file"]) {
      const v = canRoleCall(p, "dev", tool);
      expect(v.answer, tool).toBe("depends");
      const denied = v.witness.denied!;
      expect(p.decide(denied).effect, tool).toBe("deny");
      expect(p.decide(denied).reasons[0]?.code, tool).toBe("deny_rule");
      expect(Object.keys(denied.arguments ?? {}).every((k) => k !== "undefined"), tool).toBe(true);
      expect(p.decide(v.witness.allowed!).effect, tool).toBe("allow");
    }
  });
});
