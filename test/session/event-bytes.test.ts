/**
 * The event a call leaves (runtime/session-facts.ts `eventOf`) keeps its arguments exactly when their JSON
 * fits LIMITS.sessionEventArgBytes and the whole event's JSON fits LIMITS.maxSessionEventBytes (UTF-8
 * bytes): the cheap bounds it takes first never change that answer. Checked against the definition on
 * arguments, targets and labels near the limits, with escapes (control characters, lone surrogates) and
 * multi-byte characters.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { eventOf } from "../../src/runtime/session-facts.js";
import { LIMITS } from "../../src/source/limits.js";
import type { PolicyRequest } from "../../src/contract/index.js";

const bytes = (s: string) => Buffer.byteLength(s, "utf8");
const piece = fc.constantFrom("a", "é", "€", "😀", "\u0000", "\ud800", "\"", "\\", "\n");
const text = (max: number) => fc.tuple(piece, fc.nat({ max })).map(([p, n]) => p.repeat(n));

describe("eventOf: the arguments are kept exactly when they and the whole event fit", () => {
  it("agrees with the definition near the limits", () => {
    fc.assert(
      fc.property(text(4200), text(3000), fc.array(text(400), { maxLength: 4 }), fc.boolean(), (argText, target, labels, ran) => {
        const args = { v: argText };
        const req = { method: "tools/call", tool: target === "" ? "t" : target, arguments: args } as unknown as PolicyRequest;
        const e = eventOf(req, "allow", ran ? "ok" : undefined, labels);
        const argJson = JSON.stringify(args);
        const withArgs: Record<string, unknown> = { method: "tools/call", effect: "allow", target: req.tool, args };
        if (ran) withArgs.outcome = "ok";
        if (labels.length > 0) withArgs.labels = labels;
        const keep = bytes(argJson) <= LIMITS.sessionEventArgBytes && bytes(JSON.stringify(withArgs)) <= LIMITS.maxSessionEventBytes;
        expect(e.args !== undefined).toBe(keep);
        expect(e.argsDropped === true).toBe(!keep);
        if (keep) expect(JSON.stringify(e)).toBe(JSON.stringify(withArgs));
      }),
      { numRuns: 400 },
    );
  });
});
