/**
 * The async DNS path (`policy.decideAsync`): every address a URL's host resolves to must pass the
 * argument's address sets; resolver faults deny; the decision lists the addresses it checked.
 * The resolver is injected (no network in tests).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compilePolicy, type Resolver } from "mcppolicy";

const file = join(import.meta.dirname, "..", "policies", "hardening.mcppolicy");
const policy = compilePolicy(readFileSync(file, "utf8"), { filename: file });
const fetch = (url: string) => ({ principal: { roles: ["agent"] }, tool: "fetch_url", arguments: { url } });
const dnsOf =
  (table: Record<string, string[]>, calls: string[] = []): Resolver =>
  async (host) => {
    calls.push(host);
    const a = table[host];
    if (!a) throw new Error("ENOTFOUND");
    return a;
  };

describe("decideAsync", () => {
  it("allows a host whose every address is public, and returns the addresses it checked", async () => {
    const d = await policy.decideAsync(fetch("https://api.github.com/repos"), { resolve: dnsOf({ "api.github.com": ["140.82.112.6", "2606:50c0:8000::154"] }) });
    expect(d.effect).toBe("allow");
    expect(d.resolved).toEqual([{ path: "args.url", hostname: "api.github.com", addresses: ["140.82.112.6", "2606:50c0:8000::154"] }]);
  });

  it("denies an allowed name that resolves to an internal address (DNS rebinding, SSRF via DNS)", async () => {
    for (const bad of ["127.0.0.1", "10.1.2.3", "169.254.169.254", "::1", "::ffff:192.168.1.1", "fd00::1"]) {
      const d = await policy.decideAsync(fetch("https://evil.example.com/"), { resolve: dnsOf({ "evil.example.com": ["93.184.216.34", bad] }) });
      expect(d.effect, bad).toBe("deny");
      expect(d.reasons[0]).toMatchObject({ code: "invalid_argument", rule: "tool:fetch_url/args" });
      expect(d.reasons[0]!.message).toContain(`resolves to ${bad}`);
      expect(d.resolved).toEqual([]);
    }
  });

  it("fails closed on resolver errors, timeouts, empty answers and garbage answers", async () => {
    const cases: [string, Resolver][] = [
      ["error", dnsOf({})],
      ["timeout", () => new Promise(() => undefined)],
      ["empty", async () => []],
      ["garbage", async () => ["not-an-ip"]],
      ["non-canonical", async () => ["127.1"]],
      ["throws synchronously", () => {
        throw new Error("boom");
      }],
    ];
    for (const [name, resolve] of cases) {
      const d = await policy.decideAsync(fetch("https://a.example.com/"), { resolve, timeoutMs: 50 });
      expect(d.effect, name).toBe("deny");
      expect(d.reasons[0]!.message).toMatch(/^args\.url: host `a\.example\.com` /);
    }
  });

  it("does not resolve when the synchronous decision already denies, or for other tools", async () => {
    const calls: string[] = [];
    const resolve = dnsOf({ "evil.com": ["8.8.8.8"] }, calls);
    expect((await policy.decideAsync(fetch("https://evil.com/"), { resolve })).effect).toBe("deny");
    expect((await policy.decideAsync({ principal: { roles: ["agent"] }, tool: "read_file", arguments: { path: "a" } }, { resolve })).effect).toBe("allow");
    expect(calls).toEqual([]);
  });
});
