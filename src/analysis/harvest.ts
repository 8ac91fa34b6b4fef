/**
 * Candidate values for the attributes a policy's conditions read, taken from the policy itself: the
 * literals each attribute is compared with (numbers also ±1, so both sides of a bound are tried), the
 * members of the lists and sets it is tested against (for CIDR sets, each range's edges and the
 * addresses just outside; for domain sets, their names), instances of the globs it must match, and
 * one value that matches none of them. Witness search draws from these. Pure; never throws.
 */
import { cidrSamples, domainSamples, globFill, patternWithoutCaseFlag } from "../builtins/registry.js";
import { regexSamples } from "./regex-sample.js";
import type { AttrRoot, IrExpr, IrPolicy, IrSet, Scalar } from "../ir/ir.js";
import { children } from "./abstract.js";
import { attrKey } from "./solver.js";
import { allToolBlocks } from "../ir/queries.js";

export interface AttrRef {
  readonly root: AttrRoot;
  readonly path: readonly string[];
  readonly text: string;
}

export interface Harvest {
  /** Candidate values per attribute key (see attrKey). */
  readonly values: ReadonlyMap<string, readonly unknown[]>;
  /** Items tested for membership in a list-valued attribute (`"dev" in principal.scopes`), per key. */
  readonly members: ReadonlyMap<string, readonly Scalar[]>;
}

/** An instance of a name or URI glob (`fs.*` -> `fs.x`, `file:///ws/**` -> `file:///ws/x/y`). */
export function globInstance(pattern: string): string {
  return globFill(pattern, "x", "x/y", "x");
}

function setSamples(set: IrSet): unknown[] {
  switch (set.kind) {
    case "cidr":
      return cidrSamples(set.items);
    case "domain":
      return [...domainSamples(set.items), "unlisted.example"];
    case "string":
      return [...set.set, "zz-unlisted"];
    case "tool":
      return [...set.patterns.map(globInstance), "zz_unlisted"];
  }
}

function variants(v: Scalar): unknown[] {
  if (typeof v === "number") return [v, v - 1, v + 1];
  if (typeof v === "boolean") return [true, false];
  return [v, "zz-other"];
}

/** Every condition of the policy: rules' `when`/`unless`, memberships, approvals. */
export function conditionsOf(ir: IrPolicy): IrExpr[] {
  const out: IrExpr[] = [];
  const rules = [...ir.topDenies, ...[...ir.roles.values()].flatMap((r) => r.rules)];
  for (const r of rules) {
    if (r.when) out.push(r.when);
    if (r.unless) out.push(r.unless);
  }
  for (const role of ir.roles.values()) out.push(...role.members);
  for (const t of allToolBlocks(ir)) if (t.approval?.when) out.push(t.approval.when);
  return out;
}

export function harvest(ir: IrPolicy): Harvest {
  const values = new Map<string, unknown[]>();
  const members = new Map<string, Scalar[]>();
  const add = (a: AttrRef, vs: unknown[]) => {
    const key = attrKey(a);
    const list = values.get(key) ?? [];
    for (const v of vs) if (!list.includes(v)) list.push(v);
    values.set(key, list);
  };
  const member = (a: AttrRef, v: Scalar) => {
    const key = attrKey(a);
    const list = members.get(key) ?? [];
    if (!list.includes(v)) list.push(v);
    members.set(key, list);
  };
  /** What one node says about the attributes it compares. */
  const note = (e0: IrExpr): void => {
    // `a ?? d OP v` says about `a` what `a OP v` says (absence is a witness slot value of its own).
    let e = e0;
    if ("l" in e && e.l.k === "default") e = { ...e, l: e.l.e } as IrExpr;
    if ("r" in e && e.r.k === "default") e = { ...e, r: e.r.e } as IrExpr;
    if ((e.k === "pathRead" && e.op !== undefined) || e.k === "anyPathArg") {
      // Path tests: the glob's instance, the compared paths, set items, and one other path.
      const vs = e.op === "matches" && e.r.k === "lit" ? [globInstance(String(e.r.value))] : e.set ? [...e.set.set] : e.r.k === "list" ? [...e.r.values] : e.r.k === "lit" ? [e.r.value] : [];
      const refs: AttrRef[] =
        e.k === "pathRead"
          ? [e.l]
          : e.byTool.flatMap((t) => t.fields.filter((f) => f.at.every((s) => s !== null)).map((f) => ({ root: "args" as const, path: f.at as string[], text: f.text })));
      for (const ref of refs) add(ref, [...vs, "zz-other"]);
      return;
    }
    if (e.k === "inSet" || e.k === "matches") {
      if (e.l.k === "attr") add(e.l, e.k === "inSet" ? setSamples(e.set) : [globInstance(e.pattern), "zz-other"]);
      return;
    }
    if (e.k === "regex") {
      // Guesses (the solver tests each with the compiled pattern): matches, their upper case, and a miss.
      const some = regexSamples(patternWithoutCaseFlag(e.pattern));
      if (e.l.k === "attr") add(e.l, [...some, ...some.map((s) => s.toUpperCase()), "zz-other"]);
      return;
    }
    if (e.k !== "eq" && e.k !== "ne" && e.k !== "lt" && e.k !== "le" && e.k !== "gt" && e.k !== "ge" && e.k !== "in" && e.k !== "contains") return;
    const [container, item] = e.k === "contains" ? [e.l, e.r] : [e.r, e.l];
    if ((e.k === "in" || e.k === "contains") && container.k === "attr" && item.k === "lit") member(container, item.value);
    else if (e.l.k === "attr" && e.r.k === "lit") add(e.l, variants(e.r.value));
    else if (e.r.k === "attr" && e.l.k === "lit") add(e.r, variants(e.l.value));
    else if (e.l.k === "attr" && e.r.k === "list") add(e.l, [...e.r.values, typeof e.r.values[0] === "number" ? Math.max(...(e.r.values as number[])) + 1 : "zz-other"]);
  };
  const visit = (e: IrExpr): void => {
    if (e.k === "attr") add(e, []);
    note(e);
    children(e).forEach(visit);
  };
  for (const c of conditionsOf(ir)) visit(c);
  return { values, members };
}
