import { it } from "vitest";
import { compileSqlCheck } from "../../src/eval/builtins/sql.js";
it("bench", () => {
  const pg = compileSqlCheck({ readonly: true });
  const qs = [`SELECT ${"(".repeat(20000)}1${")".repeat(20000)}`, `SELECT ${"(".repeat(30)}1${")".repeat(30)}`, `SELECT ${"(".repeat(100)}1${")".repeat(100)}`, `SELECT ${"(".repeat(300)}1`, "SELECT " + "a,".repeat(20000) + "b FROM t", "SELECT * FROM t WHERE " + "a=1 AND ".repeat(5000) + "1=1", "x".repeat(99999), "SELECT " + "CASE WHEN 1 THEN ".repeat(200) + "1" + " END".repeat(200)];
  for (const q of qs) { const t = performance.now(); const r = pg(q); console.log(q.slice(0, 30), q.length, (performance.now()-t).toFixed(1), "ms", r); }
  const t = performance.now(); for (let i = 0; i < 1000; i++) pg("SELECT a, b FROM t WHERE id = " + i); console.log("typical uncached", ((performance.now()-t)/1000).toFixed(3), "ms/op");
});
