/**
 * Phase `inspect result` (after the tool, when the host settles the call; issue 14): the policy's
 * `result of ... { }` blocks judge the tool's result (`ctx.after.result`, given to `commit`): the labels the
 * session gains, the redactions, the cap, a withholding; and, for labels some `derives from` names, the
 * result's provenance fingerprints (builtins/provenance), leaving out the parts of the result that only echo
 * the call's own argument strings (a leaf or key equal to one of them); for a field label, only the values
 * it marked (`verdict.fields`), each compared whole.
 * Guarantees (fail closed):
 * - A fault here never skips the settlement (the tool ran: it is charged).
 * - A result that cannot be inspected is withheld, never passed on unchecked; a commit without a result
 *   is judged on an empty one, so every condition reading it errs and counts as holding (labels added).
 * - A rollback (the tool failed) is not inspected: nothing is passed on.
 */
import { applyResultVerdict, withheldResult } from "../../eval/result-apply.js";
import { echoesOf, fingerprint, valueFingerprints } from "../../builtins/provenance/index.js";
import { sessionNeedsOf } from "../session-facts.js";
import { afterOf, type Phase } from "./context.js";

export const inspectResult: Phase = {
  name: "inspect-result",
  stage: "result",
  run(ctx) {
    const a = afterOf(ctx);
    const policy = ctx.loaded.policy;
    if (a.action !== "commit" || !policy.inspectsResults) return;
    const result = a.result ?? {};
    try {
      const verdict = policy.inspectResult({ ...ctx.request, result });
      const applied = applyResultVerdict(result, verdict);
      const wanted = sessionNeedsOf(policy).provenanceLabels;
      let fingerprints: Record<string, string[]> | undefined;
      let prints: string[] | undefined;
      for (const label of verdict.labels) {
        if (!wanted.has(label)) continue;
        // Null prototype: a label named `__proto__` is an own key like any other (it must not set the prototype).
        fingerprints ??= Object.create(null) as Record<string, string[]>;
        const values = verdict.fields?.[label];
        if (values !== undefined) {
          // A field label: only the values it marked (eval/core/results.ts), compared whole.
          fingerprints[label] = valueFingerprints(values);
          continue;
        }
        prints ??= fingerprint(result, undefined, echoesOf(ctx.request.arguments));
        fingerprints[label] = prints.slice();
      }
      a.inspected = { verdict, applied, ...(fingerprints && { fingerprints }) };
    } catch (err) {
      const message = `the result could not be inspected (${(err as Error)?.message ?? String(err)}), so it is withheld`;
      a.inspected = {
        verdict: { labels: [], redact: [], errors: [message] },
        applied: { result: withheldResult(message), changed: true, withheld: { id: "internal_error", message } },
      };
      throw err;
    }
  },
};
