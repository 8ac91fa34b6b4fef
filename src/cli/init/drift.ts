/**
 * `mcppolicy drift`: where a policy's tool blocks no longer match a server's tools. For each tool the
 * server lists and each exact top-level tool block of the policy (families and server blocks are not
 * one tool's), it reports: a tool on one side only, and, where the block has an object `args` type,
 * fields added or removed, required-ness changed and types changed, at any depth (`edits[].oldText`).
 * GUARANTEES: deterministic (tools by name, fields in the server's order, then the policy's); never
 * throws. What the policy may legitimately say more precisely is not drift: `path`/`url`/`sql`/`ip` for
 * a string, `integer` for a `number` (and back), an open or a closed object, any bounds. A server type
 * the language cannot express (schema.ts turns it into `any`) and a policy field typed `any` or
 * `json(...)` are not compared. The server's types are read through the same conversion `init` writes,
 * so a fresh skeleton has no drift.
 */
import type { IrField, IrPolicy, IrType } from "../../ir/ir.js";
import { patternCompiles } from "./skeleton.js";
import { toShape, type Shape } from "./schema.js";
import type { ListedTool } from "./tool-list.js";

export type DriftKind = "tool-added" | "tool-removed" | "field-added" | "field-removed" | "now-required" | "now-optional" | "type-changed" | "enum-changed";

export interface Drift {
  readonly tool: string;
  readonly kind: DriftKind;
  /** The argument (`path`, `edits[].oldText`); absent for a whole tool. */
  readonly field?: string;
  /** The policy's type and the server's, for type and enum changes. */
  readonly policy?: string;
  readonly server?: string;
}

/** The kind of value a type admits, as far as drift compares it. */
function irKind(t: IrType): string | undefined {
  switch (t.t) {
    case "any":
    case "json":
      return undefined;
    case "check":
      return "string";
    case "number":
    case "integer":
      return "number";
    case "union":
      return t.members.map(irKind).some((k) => k === undefined) ? undefined : [...new Set(t.members.map(irKind))].sort().join(" | ");
    default:
      return t.t;
  }
}

function shapeKind(s: Shape): string | undefined {
  switch (s.k) {
    case "any":
      return undefined;
    case "integer":
      return "number";
    case "union":
      return [...new Set(s.members.map(shapeKind))].sort().join(" | ");
    default:
      return s.k;
  }
}

const show = (v: string | number | boolean) => JSON.stringify(v);

function compare(tool: string, at: string, p: IrType, s: Shape, out: Drift[]): void {
  const pk = irKind(p);
  const sk = shapeKind(s);
  if (pk === undefined || sk === undefined) return;
  if (pk !== sk) {
    out.push({ tool, kind: "type-changed", field: at, policy: pk, server: sk });
    return;
  }
  if (p.t === "enum" && s.k === "enum") {
    const pv = p.values.map(show);
    const sv = s.values.map(show);
    if (pv.length !== sv.length || pv.some((v) => !sv.includes(v))) out.push({ tool, kind: "enum-changed", field: at, policy: pv.join(", "), server: sv.join(", ") });
  } else if (p.t === "array" && s.k === "array") {
    compare(tool, `${at}[]`, p.item, s.item, out);
  } else if (p.t === "object" && s.k === "object") {
    compareFields(tool, at, p.fields, s, out);
  }
}

function compareFields(tool: string, at: string, fields: readonly IrField[], s: Shape & { k: "object" }, out: Drift[]): void {
  const join = (name: string) => (at === "" ? name : `${at}.${name}`);
  const mine = new Map(fields.map((f) => [f.name, f]));
  for (const sf of s.fields) {
    const pf = mine.get(sf.name);
    if (pf === undefined) {
      out.push({ tool, kind: "field-added", field: join(sf.name), server: sf.optional ? "optional" : "required" });
      continue;
    }
    if (pf.optional && !sf.optional) out.push({ tool, kind: "now-required", field: join(sf.name) });
    if (!pf.optional && sf.optional) out.push({ tool, kind: "now-optional", field: join(sf.name) });
    compare(tool, join(sf.name), pf.type, sf.shape, out);
  }
  const theirs = new Set(s.fields.map((f) => f.name));
  for (const f of fields) if (!theirs.has(f.name)) out.push({ tool, kind: "field-removed", field: join(f.name) });
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Every difference between the policy's exact top-level tool blocks and the server's tools. */
export function findDrift(ir: IrPolicy, tools: readonly ListedTool[]): Drift[] {
  const out: Drift[] = [];
  const server = new Map<string, ListedTool>();
  for (const t of tools) if (!server.has(t.name)) server.set(t.name, t);
  const names = [...new Set([...server.keys(), ...ir.tools.keys()])].sort(byName);
  for (const name of names) {
    const t = server.get(name);
    const block = ir.tools.get(name);
    if (t === undefined) {
      out.push({ tool: name, kind: "tool-removed" });
      continue;
    }
    if (block === undefined) {
      out.push({ tool: name, kind: "tool-added" });
      continue;
    }
    if (block.args === undefined || block.args.t !== "object") continue;
    const { shape } = toShape(t.inputSchema, patternCompiles);
    if (shape.k === "object") compareFields(name, "", block.args.fields, shape, out);
  }
  return out;
}

/** One line of the text report. */
export function driftLine(d: Drift): string {
  const where = d.field === undefined ? `tool \`${d.tool}\`` : `tool \`${d.tool}\` argument \`${d.field}\``;
  switch (d.kind) {
    case "tool-added":
      return `${where}: on the server, no tool block in the policy`;
    case "tool-removed":
      return `${where}: a tool block in the policy, no longer on the server`;
    case "field-added":
      return `${where}: added on the server (${d.server ?? "?"}), not in the args block`;
    case "field-removed":
      return `${where}: in the args block, no longer on the server`;
    case "now-required":
      return `${where}: now required on the server, optional in the policy`;
    case "now-optional":
      return `${where}: now optional on the server, required in the policy`;
    case "type-changed":
      return `${where}: type changed: the policy says ${d.policy ?? "?"}, the server ${d.server ?? "?"}`;
    case "enum-changed":
      return `${where}: values changed: the policy allows ${d.policy ?? "?"}, the server ${d.server ?? "?"}`;
  }
}
