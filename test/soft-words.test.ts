/**
 * The soft words of session rules (`result`, `session`, `of`, `where`, ...) are names everywhere but where
 * they start their construct, and they never stop error recovery: a syntax error early in a file still
 * lets the parser report the ones after it (a token of their own, so recovery cannot take every name
 * for the start of a declaration).
 */
import { describe, expect, it } from "vitest";
import { checkPolicy } from "mcppolicy";

const errors = (src: string) => checkPolicy(src).diagnostics.filter((d) => d.severity === "error");

describe("soft words", () => {
  it("`result`, `session`, `of` and `where` name tools, sets and roles", () => {
    const src = `policy "s"
set of: tool = ["where"]
role session { allow tool result, session, of, where }
tool result { risk low }
result of tool result { label untrusted }
session retain 10 events for 1 hour
`;
    expect(errors(src)).toEqual([]);
  });

  it("an error in a role does not hide the errors after it", () => {
    const src = `policy "s"
role dev {
  allow tol read_file
}
role ok { allow tool y }
tool t { risk }
`;
    const found = errors(src).map((d) => `${d.code}@${src.slice(0, d.span.start).split("\n").length}`);
    expect(found).toEqual(["E0003@3", "E0003@6"]);
  });
});
