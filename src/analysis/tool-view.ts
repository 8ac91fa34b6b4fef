/**
 * The analysis's view of "the tool" of a target: every tool block that applies to the name (tool
 * families, server blocks; `toolBlocks` in ir/queries.ts), merged into one `IrTool` the scenario reads.
 * Guarantees (sound for "may" questions): the approval is required when any block's is (an `or` of their
 * conditions; unconditional when one is); the risk is the highest; the budgets are all of them. Known
 * imprecision: the arguments are typed by the first block that has an `args` block only (values another
 * block refuses count as possible), and an erring approval condition after one that holds is not seen.
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
    const whens = approvals.map((a) => a.when);
    approval = whens.some((w) => w === undefined) ? {} : { when: whens.length === 1 ? whens[0]! : ({ k: "or", es: whens as IrExpr[] } as IrExpr) };
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
