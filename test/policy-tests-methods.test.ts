/**
 * Policy test files (src/policytest) accept every method of the method table: list methods with their
 * items and `visibility`, completion, server-to-client requests. Both evaluators run each case.
 */
import { describe, expect, it } from "vitest";
import { runPolicyTests } from "../src/index.js";

const files: Record<string, string> = {
  "/p/app.mcppolicy": `policy "app"
role reader {
  allow resource "file:///workspace/**"
  allow prompt summarize
  deny prompt "admin-*"
}
`,
  "/p/app.test.yaml": `cases:
  - name: a workspace file is listed
    request: { method: resources/list, principal: { roles: [reader] }, resource: "file:///workspace/a.ts" }
    expect: { effect: allow, visibility: always }
  - name: a file outside is not listed
    request: { method: resources/list, principal: { roles: [reader] }, resource: "file:///etc/passwd" }
    expect: { effect: deny, visibility: never, reason: no_rule }
  - name: a workspace template is listed
    request: { method: resources/templates/list, principal: { roles: [reader] }, resource: "file:///workspace/{name}" }
    expect: { effect: allow, visibility: depends }
  - name: prompts are listed
    request: { method: prompts/list, principal: { roles: [reader] }, prompt: summarize }
    expect: { effect: allow, visibility: always }
  - name: completing an allowed prompt
    request: { method: completion/complete, principal: { roles: [reader] }, prompt: summarize }
    expect: { effect: allow, rule: reader/2 }
  - name: completing a denied prompt
    request: { method: completion/complete, principal: { roles: [reader] }, prompt: admin-x }
    expect: { effect: deny, rule: reader/3 }
  - name: completion naming both targets is refused
    request: { method: completion/complete, principal: { roles: [reader] }, prompt: summarize, resource: "file:///workspace/a.ts" }
    expect: { effect: deny, reason: invalid_request }
  - name: sampling is decided by the default
    request: { method: sampling/createMessage, principal: { roles: [reader] } }
    expect: { effect: deny, reason: no_rule, message: server-to-client }
  - name: elicitation is decided by the default
    request: { method: elicitation/create, principal: { roles: [reader] } }
    expect: { effect: deny, reason: no_rule }
`,
};
const readFile = (p: string) => {
  const text = files[p];
  if (text === undefined) throw Object.assign(new Error("missing"), { code: "ENOENT" });
  return text;
};

describe("policy test files with every method", () => {
  it("run and pass on both evaluators", () => {
    const report = runPolicyTests(["/p/app.test.yaml"], { readFile });
    const failures = report.files.flatMap((f) => f.cases.filter((c) => c.status !== "passed").map((c) => `${c.name}: ${c.failures.join("; ")}`));
    expect(failures).toEqual([]);
    expect(report.summary).toMatchObject({ passed: 9, failed: 0 });
  });
});
