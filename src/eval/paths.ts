/**
 * The meaning of typed path reads (`pathRead`) and `any path arg` (`anyPathArg`), shared by both
 * evaluators. Guarantees: the called tool's name and the arguments are read through the attribute
 * registry (a call without arguments has no path argument; `e.l` is there for the analysis); the path types' resolvers and the tests are built once per IR node (ir/match.ts); every
 * fault (no path type for the called tool, a value of the wrong shape, a value that does not resolve)
 * is an EvalError naming the argument, so it denies. For `any path arg`, every path argument the called
 * tool's blocks declare is resolved first (in declaration order), so an unresolvable one errs even when
 * another satisfies the test; then the test is existential; no path argument: false.
 */
import type { IrExpr, IrPathField } from "../ir/ir.js";
import { anyPathArgTest, pathResolverOf, toolPathsApply } from "../ir/match.js";
import { EvalError } from "../contract/errors.js";
import { ATTRIBUTES, type PolicyRequest } from "../contract/index.js";
import { describeValue } from "./request.js";

const readTool = ATTRIBUTES["tool.name"].read;
const calledTool = (req: PolicyRequest): string => {
  const name = readTool(req, [], "tool.name");
  if (typeof name !== "string") throw new EvalError("the called tool's name is not a string");
  return name;
};

/** The resolved path `value` (read from `e.l`) names for the called tool. */
export function resolvePathRead(e: IrExpr & { k: "pathRead" }, value: unknown, req: PolicyRequest): string {
  const name = calledTool(req);
  const entry = e.byTool.find((t) => toolPathsApply(t, name));
  const field = entry?.fields[0];
  if (!field) throw new EvalError(`${e.l.text}: tool \`${name}\` gives it no path type`);
  const r = pathResolverOf(field.spec)(value);
  if ("fault" in r) throw new EvalError(`${e.l.text}: ${r.fault}`);
  return r.path;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Every value at `field.at` in the arguments (absent fields skipped), resolved; throws on a fault. */
function collect(field: IrPathField, args: unknown, out: string[]): void {
  const resolve = pathResolverOf(field.spec);
  const walk = (v: unknown, i: number, text: string): void => {
    if (i === field.at.length) {
      const r = resolve(v);
      if ("fault" in r) throw new EvalError(`${text}: ${r.fault}`);
      out.push(r.path);
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

/** `any path arg OP RIGHT`. A call without arguments has no path argument. */
export function anyPathArgHolds(e: IrExpr & { k: "anyPathArg" }, req: PolicyRequest): boolean {
  const name = calledTool(req);
  const entries = e.byTool.filter((t) => toolPathsApply(t, name));
  if (entries.length === 0) return false;
  const args = ARGS.has(req, []) ? ARGS.read(req, [], "args") : {};
  const paths: string[] = [];
  for (const t of entries) for (const f of t.fields) collect(f, args, paths);
  if (paths.length === 0) return false;
  const test = anyPathArgTest(e);
  return paths.some(test);
}
