/**
 * The checker's symbol tables, shared by its stages: declared sets (lowered), constants, roles
 * and tools, with where each was declared. Filled by the `declarations` stage (stages/declarations.ts),
 * read by the later ones.
 */
import type * as A from "../ast/nodes.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { IrPattern, IrSet } from "../ir/ir.js";
import type { Interner } from "./intern.js";

/** What the host lends the checker: nothing here is needed, each enables a feature. */
export interface CheckOptions {
  /** A synchronous realpath (e.g. `fs.realpathSync.native`): `path(...)` checks then also follow symlinks. */
  realpath?: (path: string) => string;
  /** Reads a file the policy names (a JSON Schema), by absolute path. */
  readFile?: (path: string) => string;
}

export interface Symbols {
  readonly options: CheckOptions;
  readonly diagnostics: Diagnostic[];
  readonly consts: Map<string, A.ConstDecl>;
  readonly setDecls: Map<string, A.SetDecl>;
  /** Lowered sets, filled lazily (sets may name other sets). */
  readonly sets: Map<string, IrSet | null>;
  readonly roles: Map<string, A.RoleDecl>;
  /** Top-level tool blocks by their name as written (exact names and family globs). */
  readonly tools: Map<string, A.ToolDecl>;
  /**
   * Warnings found while lowering (unguarded argument reads, W0010/W0011) that the `lints` stage reports
   * only when the policy has no error, like every other lint.
   */
  readonly pendingLints?: Diagnostic[];
  /** `server` blocks by server name. */
  readonly servers: Map<string, A.ServerDecl>;
  /** Memo of W0006 suggestions by tool name (null: none), and the candidates they are drawn from. */
  suggestions?: Map<string, string | null>;
  toolNames?: string[];
  /** Lowered rule patterns by syntax and text, shared by every rule that writes the same one (patterns.ts). */
  patterns?: Map<string, IrPattern>;
  /** Shared condition nodes and pattern lists of this compile (intern.ts). */
  interner?: Interner;
  /** Memo: whether some tool block (exact or family) describes a name. */
  described?: Map<string, boolean>;
  /** Every label some `result of ... { label L }` gives (issue 14), for `derives from L` (E0453). */
  readonly resultLabels: Set<string>;
}

export function newSymbols(options: CheckOptions = {}): Symbols {
  return { options, diagnostics: [], consts: new Map(), setDecls: new Map(), sets: new Map(), roles: new Map(), tools: new Map(), servers: new Map(), pendingLints: [], resultLabels: new Set() };
}
