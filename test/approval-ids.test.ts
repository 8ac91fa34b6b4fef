// Regression (a CI run failed 1 time in ~30): approval ids were random base64url and could begin with `-`,
// which `mcppolicy approvals approve ID` then read as a flag (exit 2). Every id now begins with a letter.
import { describe, expect, it } from "vitest";
import { compilePolicy } from "../src/policy.js";
import { createEngine } from "../src/runtime/engine.js";

describe("approval ids", () => {
  it("begin with a letter, so a command line never reads one as a flag", async () => {
    const engine = createEngine(compilePolicy(`policy "ids" version "1"\ndefault deny\nrole dev { allow tool deploy }\ntool deploy { approval required }\n`));
    for (let n = 0; n < 300; n++) {
      const a = await engine.authorize({ principal: { id: "alice", roles: ["dev"] }, tool: "deploy", arguments: { n } });
      expect(a.effect).toBe("require_approval");
      expect(a.approval!.id).toMatch(/^[A-Za-z][A-Za-z0-9_-]*$/);
    }
  });
});
