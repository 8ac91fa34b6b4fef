// Cedar (@cedar-policy/cedar-wasm, its Node entry): one permit per role (`principal in Role::"r_i"`,
// the role's tools as a set in the condition) and one forbid for read_file's path (`like`). The
// policy set is preparsed once (preparsePolicySet); each request passes its principal entity (a
// User whose parent is the role) to statefulIsAuthorized, as a host does.
import { preparsePolicySet, statefulIsAuthorized } from "@cedar-policy/cedar-wasm/nodejs";
import { PATH_TOOL } from "../scenario.mjs";

let nextId = 0;

export function policyText(sc) {
  const lines = [];
  for (const role of sc.roles) {
    const set = role.tools.map((t) => `Tool::${JSON.stringify(t)}`).join(", ");
    lines.push(`permit (principal in Role::${JSON.stringify(role.name)}, action == Action::"call", resource) when { [${set}].contains(resource) };`);
  }
  lines.push(`forbid (principal, action == Action::"call", resource == Tool::"${PATH_TOOL}") unless { context.path like "/srv/data/*" && !(context.path like "*..*") };`);
  return lines.join("\n");
}

export function load(sc) {
  const id = `peers-${sc.name}-${nextId++}`;
  const parsed = preparsePolicySet(id, { staticPolicies: policyText(sc) });
  if (parsed.type !== "success") throw new Error(`cedar: ${JSON.stringify(parsed.errors)}`);
  const action = { type: "Action", id: "call" };
  return {
    input: (req) => ({
      principal: { type: "User", id: "u-1" },
      action,
      resource: { type: "Tool", id: req.tool },
      context: req.path === undefined ? {} : { path: req.path },
      preparsedPolicySetId: id,
      entities: [{ uid: { type: "User", id: "u-1" }, attrs: {}, parents: [{ type: "Role", id: req.role }] }],
    }),
    decide: (call) => {
      const answer = statefulIsAuthorized(call);
      if (answer.type !== "success") throw new Error(`cedar: ${JSON.stringify(answer.errors)}`);
      return answer.response.decision === "allow";
    },
  };
}
