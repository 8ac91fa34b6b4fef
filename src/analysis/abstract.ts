/**
 * Abstract evaluation of conditions over a partly known request. A condition maps to the SET of
 * outcomes it can have — true (T), false (F), an evaluation error (E) — over every request that agrees
 * with `env.req` on the attribute roots `env.known` names; the other roots may hold any value or none.
 * GUARANTEES: sound — for such a request, the interpreter's outcome is always in the returned set;
 * exact — a condition that reads only known roots is evaluated by the interpreter itself and gets one
 * outcome. Never throws (an internal fault is reported as "any outcome").
 */
import type { AttrRoot, IrExpr } from "../ir/ir.js";
import { readsHistory } from "../ir/history.js";
import { evalCondition } from "../eval/interpreter.js";
import { EvalError } from "../contract/errors.js";
import type { PolicyRequest } from "../contract/index.js";

/** Outcome bits. */
export const T = 1;
export const F = 2;
export const E = 4;
export const ANY_OUTCOME = T | F | E;
export type Out = number;

export interface Env {
  readonly req: PolicyRequest;
  readonly known: (root: AttrRoot) => boolean;
}

/** The direct subexpressions of `e`, in evaluation order. */
export function children(e: IrExpr): readonly IrExpr[] {
  switch (e.k) {
    case "not":
      return [e.e];
    case "and":
    case "or":
      return e.es;
    case "inSet":
    case "matches":
    case "regex":
    case "pathRead":
    case "carries":
    case "derives":
      return [e.l];
    case "default":
      return [e.e, e.d];
    case "lit":
    case "list":
    case "attr":
    case "has":
    case "history":
    case "event":
      return []; // a history predicate reads `session.history`, which no scenario knows: never ground (isGround)
    default:
      return [e.l, e.r];
  }
}

/**
 * Every attribute read by `e` (attr and has nodes), in evaluation order. `any path arg` reads the whole
 * `args` and, through it, each path-typed field its node names (up to the first list: `args.paths`).
 */
export function attrsOf(e: IrExpr, out: (IrExpr & { k: "attr" | "has" })[] = []): (IrExpr & { k: "attr" | "has" })[] {
  if (e.k === "attr" || e.k === "has") out.push(e);
  if (e.k === "anyPathArg") {
    for (const t of e.byTool) {
      for (const f of t.fields) {
        const cut = f.at.indexOf(null);
        const path = (cut < 0 ? f.at : f.at.slice(0, cut)) as string[];
        if (path.length > 0) out.push({ k: "attr", root: "args", path, text: `args.${path.join(".")}` });
      }
    }
  }
  for (const c of children(e)) attrsOf(c, out);
  return out;
}

/** The roots `e` reads through `??` (their absence is a case the condition tells apart, like `has`). */
export function defaultedRoots(e: IrExpr, out: AttrRoot[] = []): AttrRoot[] {
  if (e.k === "default") out.push(e.e.root);
  for (const c of children(e)) defaultedRoots(c, out);
  return out;
}

/** Whether every attribute `e` reads is known in `env`. */
export function isGround(e: IrExpr, env: Env): boolean {
  return !readsHistory(e) && attrsOf(e).every((a) => env.known(a.root));
}

/** The concrete outcome of a ground condition. */
export function groundOut(e: IrExpr, req: PolicyRequest): Out {
  try {
    return evalCondition(e, req) ? T : F;
  } catch (err) {
    if (err instanceof EvalError) return E;
    return ANY_OUTCOME;
  }
}

/** The outcomes `e`, used as a condition, can have. */
export function outcomes(e: IrExpr, env: Env): Out {
  if (isGround(e, env)) return groundOut(e, env.req);
  switch (e.k) {
    case "not": {
      const o = outcomes(e.e, env);
      return (o & E) | (o & T ? F : 0) | (o & F ? T : 0);
    }
    case "and":
    case "or": {
      // Left to right, short-circuit: `and` stops at false, `or` at true; an error stops either.
      const stop = e.k === "and" ? F : T;
      const go = e.k === "and" ? T : F;
      let running = true;
      let res = 0;
      for (const x of e.es) {
        if (!running) break;
        const o = outcomes(x, env);
        res |= o & (stop | E);
        running = (o & go) !== 0;
      }
      return running ? res | go : res;
    }
    case "has":
      return T | F; // `has` never errs
    default:
      return ANY_OUTCOME;
  }
}
