/** `sql(unions: false)`: set operations are refused as the parser sees them, whatever their spelling. */
import { describe, expect, it } from "vitest";
import { compileSqlCheck } from "../../src/builtins/sql/sql.js";

describe("sql setOperations: false", () => {
  const strict = compileSqlCheck({ readonly: true, dialect: "postgresql", setOperations: false });
  const lenient = compileSqlCheck({ readonly: true, dialect: "postgresql" });
  const unions = [
    "SELECT a FROM t UNION SELECT b FROM u",
    "select a from t union all select b from u",
    "SELECT a FROM t UNION/**/SELECT b FROM u",
    "SELECT a FROM t\nUNION\n\tSELECT b FROM u",
    "SELECT a FROM t INTERSECT SELECT b FROM u",
    "SELECT a FROM t EXCEPT SELECT b FROM u",
    "SELECT * FROM (SELECT a FROM t UNION SELECT b FROM u) s",
  ];
  for (const q of unions) {
    it(`refuses ${JSON.stringify(q)}`, () => {
      expect(strict(q)).toMatch(/set operations/);
      expect(lenient(q)).toBeNull();
    });
  }
  it("still allows a plain select, and a string that merely says UNION SELECT", () => {
    expect(strict("SELECT id FROM t WHERE id = $1")).toBeNull();
    expect(strict("SELECT 'UNION SELECT' AS label FROM t")).toBeNull();
  });
});
