/**
 * JsonlAuditSink on the real file system: records are in the file when append returns; a reopened
 * file continues its chain; a file whose last line is damaged or partial is refused (never forked);
 * a path that cannot be written (a directory, a path under a regular file, a missing directory, a
 * full device) throws AuditUnavailableError and leaves the chain where it was.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GENESIS, type AuditEntry } from "../src/audit/record.js";
import { AuditUnavailableError, JsonlAuditSink, MemoryAuditSink } from "../src/audit/sink.js";
import { verifyAuditLog } from "../src/audit/verify.js";

const entry = (n: number): AuditEntry => ({
  time: "2026-01-01T00:00:00.000Z",
  type: n % 2 ? "decision" : "completion",
  callId: `c${Math.ceil(n / 2)}`,
  method: "tools/call",
  tool: "write_file",
  effect: "allow",
  enforced: true,
  reasons: [],
  rules: ["dev/1"],
});

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "mcppolicy-audit-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string) => path.join(dir, name);

describe("JsonlAuditSink", () => {
  it("each record is in the file when append returns; the file verifies; mode 0600", () => {
    const p = file("a.jsonl");
    const sink = new JsonlAuditSink(p);
    sink.append(entry(1));
    expect(readFileSync(p, "utf8").split("\n")).toHaveLength(2);
    sink.append(entry(2));
    const text = readFileSync(p, "utf8");
    expect(verifyAuditLog(text)).toEqual({ ok: true, records: 2, lastHash: sink.last.hash });
    expect(statSync(p).mode & 0o777).toBe(0o600);
    sink.close();
    expect(() => sink.append(entry(3))).toThrow(AuditUnavailableError);
  });

  it("a reopened file continues its chain (seq and prev), with fsync too", () => {
    const p = file("b.jsonl");
    const one = new JsonlAuditSink(p);
    one.append(entry(1));
    one.append(entry(2));
    const { seq, hash } = one.last;
    one.close();
    const two = new JsonlAuditSink(p, { fsync: true });
    expect(two.last).toEqual({ seq, hash });
    two.append(entry(3));
    two.close();
    const lines = readFileSync(p, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(lines[2]).toMatchObject({ seq: 3, prev: hash });
    expect(verifyAuditLog(readFileSync(p, "utf8"))).toMatchObject({ ok: true, records: 3 });
  });

  it("a second sink on a file this process has open (another spelling of its path too) is refused until the first closes", () => {
    const p = file("once.jsonl");
    const first = new JsonlAuditSink(p);
    first.append(entry(1));
    symlinkSync(p, file("once-link.jsonl"));
    expect(() => new JsonlAuditSink(p)).toThrow(/already open in this process/);
    expect(() => new JsonlAuditSink(file("once-link.jsonl"))).toThrow(AuditUnavailableError);
    expect(() => new JsonlAuditSink(path.relative(process.cwd(), p))).toThrow(/already open/);
    first.append(entry(2));
    first.close();
    const second = new JsonlAuditSink(file("once-link.jsonl"));
    expect(second.last.seq).toBe(2);
    second.close();
  });

  it("the same records as a MemoryAuditSink, byte for byte", () => {
    const p = file("c.jsonl");
    const sink = new JsonlAuditSink(p);
    const mem = new MemoryAuditSink();
    for (let i = 1; i <= 4; i++) {
      sink.append(entry(i));
      mem.append(entry(i));
    }
    sink.close();
    expect(readFileSync(p, "utf8")).toBe(mem.text());
  });

  it("a file whose last line is not a sound record, or is partial, is refused: verify and rotate", () => {
    const good = file("d.jsonl");
    const s = new JsonlAuditSink(good);
    s.append(entry(1));
    s.close();
    const text = readFileSync(good, "utf8");

    const partial = file("partial.jsonl");
    writeFileSync(partial, text.slice(0, -1));
    expect(() => new JsonlAuditSink(partial)).toThrow(/ends in a partial line.*audit verify/);

    const garbage = file("garbage.jsonl");
    writeFileSync(garbage, `${text}{"not":"a record"}\n`);
    expect(() => new JsonlAuditSink(garbage)).toThrow(AuditUnavailableError);
    expect(() => new JsonlAuditSink(garbage)).toThrow(/not a sound audit record.*fork the chain/);

    const edited = file("edited.jsonl");
    writeFileSync(edited, text.replace('"write_file"', '"delete_all"'));
    expect(() => new JsonlAuditSink(edited)).toThrow(/hash mismatch/);

    const blank = file("blank.jsonl");
    writeFileSync(blank, `${text}\n`);
    expect(() => new JsonlAuditSink(blank)).toThrow(/bad JSON/);

    const binary = file("binary.jsonl");
    writeFileSync(binary, Buffer.concat([Buffer.from(text), Buffer.from([0xff, 0xfe, 0x0a])]));
    expect(() => new JsonlAuditSink(binary)).toThrow(/not UTF-8/);
    // Nothing was written to any refused file.
    expect(readFileSync(garbage, "utf8")).toBe(`${text}{"not":"a record"}\n`);
  });

  it("a last line longer than one read chunk is found", () => {
    const p = file("long.jsonl");
    const s = new JsonlAuditSink(p);
    s.append(entry(1));
    s.append({ ...entry(2), arguments: { blob: "x".repeat(200_000) } });
    const last = s.last;
    s.close();
    const again = new JsonlAuditSink(p);
    expect(again.last).toEqual(last);
    again.close();
  });

  it("a path that cannot be written throws AuditUnavailableError: a directory, under a regular file, a missing directory", () => {
    const sub = file("sub");
    mkdirSync(sub);
    expect(() => new JsonlAuditSink(sub)).toThrow(AuditUnavailableError);
    expect(() => new JsonlAuditSink(sub)).toThrow(/is a directory/);
    const regular = file("regular");
    writeFileSync(regular, "");
    expect(() => new JsonlAuditSink(path.join(regular, "audit.jsonl"))).toThrow(AuditUnavailableError);
    expect(() => new JsonlAuditSink(file("missing/dir/audit.jsonl"))).toThrow(/cannot open audit log.*ENOENT/);
  });

  it("a read-only directory: refused unless the process may write anyway (root)", () => {
    const ro = file("ro");
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    const target = path.join(ro, "audit.jsonl");
    if (process.getuid?.() === 0) {
      // root writes through permissions: the sink opens, which is what the kernel allows.
      new JsonlAuditSink(target).close();
      expect(existsSync(target)).toBe(true);
    } else {
      expect(() => new JsonlAuditSink(target)).toThrow(AuditUnavailableError);
      expect(() => new JsonlAuditSink(target)).toThrow(/EACCES/);
    }
    chmodSync(ro, 0o700);
  });

  it("a write that fails (a full device) throws AuditUnavailableError and does not move the chain", () => {
    expect(existsSync("/dev/full"), "/dev/full is needed for this test").toBe(true);
    const sink = new JsonlAuditSink("/dev/full");
    expect(sink.last).toEqual({ seq: 0, hash: GENESIS });
    expect(() => sink.append(entry(1))).toThrow(AuditUnavailableError);
    expect(() => sink.append(entry(1))).toThrow(/ENOSPC/);
    sink.close();
  });

  it("a FIFO is refused without blocking", () => {
    const fifo = file("fifo");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    expect(() => new JsonlAuditSink(fifo)).toThrow(/not a regular file/);
  });
});

describe("appending to a file another writer damaged", () => {
  it("a line appended behind the sink's back is caught by verify, not hidden", () => {
    const p = file("e.jsonl");
    const sink = new JsonlAuditSink(p);
    sink.append(entry(1));
    appendFileSync(p, "intruder\n");
    sink.append(entry(2));
    sink.close();
    expect(verifyAuditLog(readFileSync(p, "utf8"))).toMatchObject({ ok: false, line: 2, problem: expect.stringMatching(/bad JSON/) });
  });
});
