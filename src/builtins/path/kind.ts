/**
 * `path(root: "/workspace" | ["/a", "/b"], exclude: ["**\/.env"], maxLength: N)`: the sandbox constraint
 * as a registry kind. Parameters: `{ root, roots?, exclude?, physical? }`: `root` is the first root (where
 * relative values resolve), `roots` every root when more than one is given, `exclude` the path globs no
 * resolved value may match (./exclude.ts); `physical` records that the host gave a realpath when the
 * policy was compiled, so the check must also judge the physical path. A check whose parameters say
 * `physical` but whose host gives no realpath (an IR copied away from its host) refuses every value.
 */
import { type Check, type ConstraintKind, refuseAll } from "../kind.js";
import { excludeProblem } from "./exclude.js";
import { compilePathCheck, compilePathResolver, type PathOptions, type PathResolver } from "./path.js";

export interface PathParams {
  readonly root: string;
  readonly roots?: readonly string[];
  readonly exclude?: readonly string[];
  readonly physical?: true;
}

const optionsOf = (p: PathParams, realpath: ((p: string) => string) | undefined): PathOptions => ({
  root: p.root,
  ...(p.roots && { roots: p.roots }),
  ...(p.exclude && { exclude: p.exclude }),
  ...(p.physical && realpath && { realpath }),
});

export const PATH: ConstraintKind<PathParams> = {
  params: ["root", "exclude", "maxLength"],
  lower(r, host) {
    if (!r.has("root")) {
      r.problem({ code: "invalid-parameter", at: { type: true }, message: "`path` needs a sandbox root", hint: 'write `path(root: "/workspace")`' });
      return undefined;
    }
    const roots = r.stringOrItems("root");
    if (roots === undefined) return undefined;
    if (roots.length === 0) {
      r.problem({ code: "invalid-parameter", at: { param: "root" }, message: "`root` needs at least one directory", hint: 'write `path(root: ["/srv/a", "/srv/b"])`' });
      return undefined;
    }
    let ok = true;
    for (let i = 0; i < roots.length; i++) {
      const check = compilePathCheck({ root: roots[i]! });
      if (typeof check !== "function") {
        r.problem({ code: "invalid-parameter", at: { param: "root", ...(roots.length > 1 ? { item: i } : {}) }, message: `invalid sandbox root \`${roots[i]}\`: ${check.error}`, hint: "use an absolute, normalised POSIX path" });
        ok = false;
      } else if (roots.indexOf(roots[i]!) !== i) {
        r.problem({ code: "invalid-parameter", at: { param: "root", item: i }, message: `the sandbox root \`${roots[i]}\` is given twice`, hint: "keep one" });
        ok = false;
      }
    }
    let exclude: string[] | undefined;
    if (r.has("exclude")) {
      exclude = r.stringItems("exclude");
      if (exclude === undefined) return undefined;
      for (let i = 0; i < exclude.length; i++) {
        const problem = excludeProblem(exclude[i]);
        if (problem !== undefined) {
          r.problem({ code: "invalid-parameter", at: { param: "exclude", item: i }, message: `invalid exclude \`${exclude[i]}\`: ${problem}`, hint: 'write e.g. `exclude: ["**/.git/**", "**/.env"]`' });
          ok = false;
        }
      }
    }
    if (!ok) return undefined;
    const maxLength = r.nonNegInt("maxLength");
    const params: PathParams = {
      root: roots[0]!,
      ...(roots.length > 1 && { roots }),
      ...(exclude !== undefined && exclude.length > 0 && { exclude }),
      ...(host.realpath && { physical: true as const }),
    };
    return { params, ...(maxLength !== undefined && { maxLength }) };
  },
  compile(p, host): Check {
    if (p.physical && !host.realpath) return refuseAll("could not be resolved on this host");
    const check = compilePathCheck(optionsOf(p, host.realpath));
    return typeof check === "function" ? check : refuseAll(`invalid sandbox root: ${check.error}`);
  },
  samples: (p) => [...(p.roots ?? [p.root]).map((r) => `${r.replace(/\/+$/, "")}/x`), "x", ...(p.exclude ?? []).map((g) => g.replace(/\*\*?/g, "x"))],
};

/** The resolver of a path type's values (for rules that read them): the one absolute path, or a fault. */
export function pathResolver(p: PathParams, host: { readonly realpath?: (p: string) => string }): PathResolver {
  if (p.physical && !host.realpath) return () => ({ fault: "could not be resolved on this host" });
  const r = compilePathResolver(optionsOf(p, host.realpath));
  return typeof r === "function" ? r : () => ({ fault: `invalid sandbox root: ${r.error}` });
}
