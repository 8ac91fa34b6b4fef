/**
 * The meaning of typed path reads (`pathRead`) and `any path arg` (`anyPathArg`), shared by both
 * evaluators. Guarantees: the called tool's name and the arguments are read through the attribute
 * registry (a call without arguments has no path argument; `e.l` is there for the analysis); the path
 * types' resolvers and the tests are built once per IR node (ir/match.ts); every
 * fault (no path type for the called tool, a value of the wrong shape, a value that does not resolve)
 * is an EvalError naming the argument, so it denies. For `any path arg`, every path argument the called
 * tool's blocks declare is resolved first (in declaration order), so an unresolvable one errs even when
 * another satisfies the test; then the test is existential (no path argument: false), and an answer
 * that depends on letter case (ir/match.ts `pathTest`) errs unless some argument satisfies it plainly.
 */
import type { IrExpr, IrPathField, IrPathTest } from "../ir/ir.js";
import { pathResolverOf, pathTest, toolPathsApply } from "../ir/match.js";
import { EvalError } from "../contract/errors.js";
import { ATTRIBUTES, type PolicyRequest } from "../contract/index.js";
import { describeValue } from "./request.js";
import { serverOf } from "./core/tools.js";

const readTool = ATTRIBUTES["tool.name"].read;
const calledTool = (req: PolicyRequest): string => {
  const name = readTool(req, [], "tool.name");
  if (typeof name !== "string") throw new EvalError("the called tool's name is not a string");
  return name;
};

/** Why a path test's answer depends on letter case (an EvalError's message). */
function ambiguous(text: string, path: string, e: IrPathTest): string {
  const right = e.set ? `set \`${e.set.name}\`` : e.r.k === "lit" ? `\`${String(e.r.value)}\`` : "the list";
  return `${text}: \`${path}\` and ${right} agree only in another letter case: the answer depends on whether the tool's file system ignores case`;
}

/**
 * A typed path read: the resolved path `value` (read from `e.l`) names for the called tool, or, when
 * the node carries a test, that test's answer on it.
 */
export function evalPathRead(e: IrExpr & { k: "pathRead" }, value: unknown, req: PolicyRequest): unknown {
  const name = calledTool(req);
  const entry = e.byTool.find((t) => toolPathsApply(t, name, serverOf(req)));
  const field = entry?.fields[0];
  if (!field) throw new EvalError(`${e.l.text}: tool \`${name}\` gives it no path type`);
  const r = pathResolverOf(field.spec)(value);
  if ("fault" in r) throw new EvalError(`${e.l.text}: ${r.fault}`);
  if (e.op === undefined) return r.path;
  const a = pathTest(e)(r.path);
  if (a === "ambiguous") throw new EvalError(ambiguous(e.l.text, r.path, e));
  return a;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Every value at `field.at` in the arguments (absent fields skipped), resolved; throws on a fault. */
function collect(field: IrPathField, args: unknown, out: { path: string; text: string }[]): void {
  const resolve = pathResolverOf(field.spec);
  const walk = (v: unknown, i: number, text: string): void => {
    if (i === field.at.length) {
      const r = resolve(v);
      if ("fault" in r) throw new EvalError(`${text}: ${r.fault}`);
      out.push({ path: r.path, text });
      return;
    }
    const step = field.at[i];
    if (step === null) {
      if (!Array.isArray(v)) throw new EvalError(`${text}: expected a list, found ${describeValue(v)}`);
      for (let k = 0; k < v.length; k++) walk(v[k], i + 1, `${text}[${k}]`);
      return;
    }
    if (!isObject(v)) throw new EvalError(`${text}: expected an object, found ${describeValue(v)}`);
    if (!Object.prototype.hasOwnProperty.call(v, step!) || v[step!] === undefined) return; // absent: no path here
    walk(v[step!], i + 1, `${text}.${step}`);
  };
  walk(args, 0, "args");
}

const ARGS = ATTRIBUTES.args;

/**
 * Whether `any path arg` can see an argument of the request's tool: false when no block of it types a
 * path argument (then the test is false whatever the arguments: a list method knows it without them).
 */
export function anyPathArgSees(e: IrExpr & { k: "anyPathArg" }, req: PolicyRequest): boolean {
  const name = typeof req.tool === "string" ? req.tool : undefined;
  return name === undefined || e.byTool.some((t) => toolPathsApply(t, name, serverOf(req)));
}

/** `any path arg OP RIGHT`. A call without arguments has no path argument. */
export function anyPathArgHolds(e: IrExpr & { k: "anyPathArg" }, req: PolicyRequest): boolean {
  const name = calledTool(req);
  const entries = e.byTool.filter((t) => toolPathsApply(t, name, serverOf(req)));
  if (entries.length === 0) return false;
  const args = ARGS.has(req, []) ? ARGS.read(req, [], "args") : {};
  const paths: { path: string; text: string }[] = [];
  for (const t of entries) for (const f of t.fields) collect(f, args, paths);
  const test = pathTest(e);
  let doubt: { path: string; text: string } | undefined;
  for (const p of paths) {
    const a = test(p.path);
    if (a === true) return true;
    if (a === "ambiguous") doubt ??= p;
  }
  if (doubt) throw new EvalError(ambiguous(doubt.text, doubt.path, e));
  return false;
}
