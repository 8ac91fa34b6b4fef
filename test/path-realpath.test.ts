/**
 * `path(root:)` with a host-supplied realpath: symlinks inside the sandbox that lead out of it are
 * refused, including for files that do not exist yet (the nearest existing ancestor is judged).
 * Uses a real directory tree with real symlinks.
 */
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compilePolicy } from "mcppolicy";

const base = mkdtempSync(join(tmpdir(), "mcppolicy-realpath-"));
const ws = join(base, "ws");
const outside = join(base, "outside");
mkdirSync(join(ws, "src"), { recursive: true });
mkdirSync(outside);
writeFileSync(join(ws, "src", "a.ts"), "x");
writeFileSync(join(outside, "secret"), "x");
symlinkSync(outside, join(ws, "escape")); // ws/escape -> ../outside
symlinkSync(join(ws, "src"), join(ws, "alias")); // ws/alias -> ws/src (stays inside)
symlinkSync("/", join(ws, "rootfs"));

const text = (root: string) => `policy "p"\nrole r { allow tool read_file }\ntool read_file { args { path: path(root: ${JSON.stringify(root)}) } }`;
const call = (p: ReturnType<typeof compilePolicy>, path: string) => p.decide({ principal: { roles: ["r"] }, tool: "read_file", arguments: { path } });

describe("path(root:) with realpath", () => {
  const physical = compilePolicy(text(ws), { readFile: null, realpath: realpathSync.native });
  const logicalOnly = compilePolicy(text(ws), { readFile: null });

  it("allows real files, files that do not exist yet, and symlinks that stay inside", () => {
    for (const p of ["src/a.ts", "src/new.ts", "new/dir/file.txt", "alias/a.ts", `${ws}/src/a.ts`, "."]) {
      expect(call(physical, p).effect, p).toBe("allow");
    }
  });

  it("refuses symlinks that lead out, even to files that do not exist yet", () => {
    for (const p of ["escape/secret", "escape/not-yet", "escape", "rootfs/etc/passwd", "alias/../escape/secret"]) {
      const d = call(physical, p);
      expect(d.effect, p).toBe("deny");
      expect(d.reasons[0]!.message).toMatch(/^args\.path: /);
    }
    expect(call(physical, "escape/secret").reasons[0]!.message).toContain("symbolic link");
  });

  it("without realpath the same symlink is judged only logically (the host opted out)", () => {
    expect(call(logicalOnly, "escape/secret").effect).toBe("allow");
    expect(call(logicalOnly, "../outside/secret").effect).toBe("deny");
  });

  it("a realpath that answers anything but an absolute path (undefined, a promise, a number) denies as unresolvable, never allows", () => {
    // A host wrapper that swallows errors answers undefined for the missing root and for the value alike.
    const swallowing = (p: string) => {
      try {
        return realpathSync.native(p);
      } catch {
        return undefined as unknown as string;
      }
    };
    const answers: ((p: string) => string)[] = [swallowing, () => undefined as unknown as string, (p) => Promise.resolve(p) as unknown as string, () => 5 as unknown as string, () => "relative/path"];
    for (const [i, realpath] of answers.entries()) {
      const p = compilePolicy(text(join(base, "missing-root")), { readFile: null, realpath });
      const d = call(p, "a.txt");
      expect(d.effect, String(i)).toBe("deny");
      expect(d.reasons[0]!.code, String(i)).toBe("invalid_argument");
    }
    const odd = compilePolicy(text(ws), { readFile: null, realpath: (p) => (p === ws ? realpathSync.native(p) : (5 as unknown as string)) });
    expect(call(odd, "src/a.ts").reasons[0]!.code).toBe("invalid_argument");
  });

  it("a root that does not exist on this host fails closed", () => {
    const p = compilePolicy(text(join(base, "missing-root")), { readFile: null, realpath: realpathSync.native });
    expect(call(p, "a.txt").effect).toBe("deny");
  });
});
