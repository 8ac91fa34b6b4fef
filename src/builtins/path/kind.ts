/**
 * `path(root: "/workspace", maxLength: N)`: the sandbox constraint as a registry kind.
 * Parameters: `{ root, physical? }`; `physical` records that the host gave a realpath when the policy
 * was compiled, so the check must also judge the physical path. A check whose parameters say
 * `physical` but whose host gives no realpath (an IR copied away from its host) refuses every value.
 */
import { type Check, type ConstraintKind, refuseAll } from "../kind.js";
import { compilePathCheck } from "./path.js";

export interface PathParams {
  readonly root: string;
  readonly physical?: true;
}

export const PATH: ConstraintKind<PathParams> = {
  params: ["root", "maxLength"],
  lower(r, host) {
    const root = r.str("root");
    if (root === undefined) {
      if (!r.has("root")) r.problem({ code: "invalid-parameter", at: { type: true }, message: "`path` needs a sandbox root", hint: 'write `path(root: "/workspace")`' });
      return undefined;
    }
    const check = compilePathCheck({ root });
    if (typeof check !== "function") {
      r.problem({ code: "invalid-parameter", at: { param: "root" }, message: `invalid sandbox root \`${root}\`: ${check.error}`, hint: "use an absolute, normalised POSIX path" });
      return undefined;
    }
    const maxLength = r.nonNegInt("maxLength");
    return { params: { root, ...(host.realpath && { physical: true as const }) }, ...(maxLength !== undefined && { maxLength }) };
  },
  compile(p, host): Check {
    if (p.physical && !host.realpath) return refuseAll("could not be resolved on this host");
    const check = compilePathCheck({ root: p.root, ...(p.physical && host.realpath && { realpath: host.realpath }) });
    return typeof check === "function" ? check : refuseAll(`invalid sandbox root: ${check.error}`);
  },
  samples: (p) => [`${p.root.replace(/\/+$/, "")}/x`, "x"],
};
