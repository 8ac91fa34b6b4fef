/**
 * The analysis's view of "the tool" of a target: every tool block that applies to the name (tool
 * families, server blocks; `toolBlocks` in ir/queries.ts), merged into one `IrTool` the scenario reads.
 * Guarantees (sound for "may" questions): the approval is required when any block's is (an `or` of their
 * conditions; unconditional when one is) and errs when any block's condition errs (each is evaluated,
 * as the core does); the risk is the highest; the budgets are all of them. Known imprecision: the
 * arguments are typed by the first block that has an `args` block only (values another block refuses
 * count as possible).
 * When the scenario fixes no server, the blocks of every server block that match are included too.
 */
import type { IrExpr, IrPolicy, IrTool, Risk } from "../ir/ir.js";
import { serverScopedBlocks, toolBlocks } from "../ir/queries.js";

const RANK: Record<Risk, number> = { low: 0, medium: 1, high: 2, critical: 3 };

export function toolView(ir: IrPolicy, name: string, server?: string): IrTool | undefined {
  const blocks = server === undefined ? [...toolBlocks(ir, name), ...serverScopedBlocks(ir, name)] : toolBlocks(ir, name, server);
  if (blocks.length === 0) return undefined;
  if (blocks.length === 1) return blocks[0];
  let risk: Risk | undefined;
  for (const b of blocks) if (b.risk && (!risk || RANK[b.risk] > RANK[risk])) risk = b.risk;
  const approvals = blocks.filter((b) => b.approval).map((b) => b.approval!);
  let approval: IrTool["approval"];
  if (approvals.length > 0) {
    // The core evaluates every block's approval condition: any that errs denies, else any that holds
    // asks. `c or not c` errs exactly when `c` does, so each condition is evaluated in the merged one.
    const conds = approvals.flatMap((a) => (a.when ? [a.when] : []));
    const unconditional = conds.length < approvals.length;
    const holds: IrExpr = unconditional ? { k: "lit", value: true } : conds.length === 1 ? conds[0]! : { k: "or", es: conds };
    const forced: IrExpr[] = conds.length === 1 && !unconditional ? [] : conds.map((c) => ({ k: "or", es: [c, { k: "not", e: c }] }));
    // Who approves does not change whether a call is sent to approval (the analysis asks only that).
    const approvers = approvals[0]!.approvers;
    approval = conds.length === 0 ? { approvers } : { when: forced.length === 0 ? holds : { k: "and", es: [...forced, holds] }, approvers };
  }
  const args = blocks.find((b) => b.args)?.args;
  const first = blocks[0]!;
  return {
    name,
    id: first.id,
    ...(risk && { risk }),
    ...(approval && { approval }),
    ...(args && { args }),
    budgets: blocks.flatMap((b) => b.budgets),
    ...(first.span && { span: first.span }),
  };
}
