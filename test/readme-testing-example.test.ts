// #region readme
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compilePolicy } from "mcppolicy";
import { findDifference, forAllRequests, isInside, never, toolsListMatchesCalls } from "mcppolicy/testing";

const filename = "policies/seed.mcppolicy";
const source = readFileSync(filename, "utf8");
const policy = compilePolicy(source, { filename });

describe("policies/seed.mcppolicy", () => {
  it("lets no one but an admin run a command, not even with approval", () => {
    never(policy, { tool: "execute_command", lacking: "admin" }, ["allow", "require_approval"]);
  });

  it("allows read_file only inside /workspace", () => {
    forAllRequests(policy, { tool: "read_file" }, (request, decision) =>
      decision.effect !== "allow" || isInside(request.arguments?.path, "/workspace"),
    );
  });

  it("hides in tools/list exactly the tools no call can reach", () => {
    toolsListMatchesCalls(policy);
  });

  it("decides the same after the developer's denied tools move into a set", () => {
    expect(source).toContain("tool execute_command, write_file, delete_file"); // the edit below is not a no-op
    const refactored = compilePolicy(
      source.replace("tool execute_command, write_file, delete_file", "tool dangerous") +
        'set dangerous: tool = ["execute_command", "write_file", "delete_file"]\n',
      { filename },
    );
    expect(findDifference(policy, refactored, { numRuns: 500 })).toBeUndefined();
  });

  it("notices when an edit lets read-only agents write files", () => {
    const edited = compilePolicy(source.replace("tool read_file, list_directory", "tool write_file, read_file, list_directory"), { filename });
    const difference = findDifference(policy, edited, { seed: 1 });
    expect(difference?.request).toEqual({ principal: { roles: ["readonly-agent"] }, method: "tools/call", tool: "write_file" });
    expect([difference?.a.effect, difference?.b.effect]).toEqual(["deny", "require_approval"]);
  });
});
// #endregion readme

/*
 * The region above is the example of README.md's section "Property-testing a policy
 * (mcppolicy/testing)", verbatim: the check below fails when the two drift apart.
 */
import { fileURLToPath } from "node:url";

describe("README", () => {
  it("shows this file's example verbatim", () => {
    const readme = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");
    const section = readme.slice(readme.indexOf("## Property-testing a policy (mcppolicy/testing)"));
    const shown = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    const self = readFileSync(fileURLToPath(import.meta.url), "utf8");
    const example = /\/\/ #region readme\n([\s\S]*?)\/\/ #endregion readme\n/.exec(self)?.[1];
    expect(example).toBeDefined();
    expect(shown).toBe(example);
  });
});
