/**
 * API keys end to end: `mcppolicy keys create` run as users run it (`node dist/cli/main.js`, after
 * `npm run build`) prints a key once and writes only its hash; the authenticator accepts it (Bearer and
 * X-API-Key) as the key's principal, refuses a wrong secret, an unknown id, an expired key, a revoked key (the
 * file is re-read after it changes), and every key while the file is broken (fail closed); list never shows
 * hashes; a duplicate id is refused and nothing is written.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthenticator, type AuthOutcome, type RequestFacts } from "../../src/gateway/auth/index.js";
import type { AuthConfig } from "../../src/gateway/config/types.js";
import { run as keysRun } from "../../src/cli/keys.js";
import { generateApiKey } from "../../src/gateway/auth/api-key-format.js";
import { ApiKeyStore } from "../../src/gateway/auth/api-keys.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI = path.join(ROOT, "dist", "cli", "main.js");
const RESOURCE = "http://127.0.0.1:8080/mcp";

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, "keys", ...args], { cwd: ROOT, encoding: "utf8", timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "mcppolicy-keys-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = (file: string): AuthConfig => ({ apiKeys: { file }, rateLimit: { perMinute: 6000, burst: 1000 } });
const bearer = (key: string): RequestFacts => ({ method: "POST", path: "/mcp", headers: { authorization: `Bearer ${key}` }, remoteAddress: "::ffff:127.0.0.1" });
const xApiKey = (key: string): RequestFacts => ({ method: "POST", path: "/mcp", headers: { "x-api-key": key }, remoteAddress: "127.0.0.1" });

function refused(o: AuthOutcome, description: string): void {
  expect(o).toEqual({
    ok: false,
    status: 401,
    headers: { "WWW-Authenticate": `Bearer realm="mcppolicy", error="invalid_token", error_description="${description}"` },
    body: { error: "invalid_token", error_description: description },
  });
}

describe("auth: API keys", () => {
  it("keys create (the built CLI) prints a key once; the file holds only its hash; the authenticator accepts it as the key's principal", async () => {
    const file = path.join(dir, "keys.yaml");
    const principalFile = path.join(dir, "ci.json");
    writeFileSync(principalFile, JSON.stringify({ roles: ["deployer"], claims: { team: "platform" } }));
    const made = cli(["create", "--file", file, "--id", "ci-bot", "--principal", principalFile]);
    expect(made.stderr).toMatch(/shown only now/);
    expect(made.status).toBe(0);
    const key = made.stdout.trim();
    expect(key).toMatch(/^mcpp_ci-bot_[A-Za-z0-9_-]{43}$/);
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain(key);
    expect(text).not.toContain(key.slice("mcpp_ci-bot_".length));
    expect(text).toMatch(/hash: sha256:[0-9a-f]{64}/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(made.stderr).not.toContain(key);

    const auth = createAuthenticator(config(file), RESOURCE);
    for (const f of [bearer(key), xApiKey(key)]) {
      const o = await auth.authenticate(f);
      expect(o).toEqual({
        ok: true,
        principal: { id: "ci-bot", roles: ["deployer"], claims: { team: "platform" } },
        client: { ip: "127.0.0.1", tls: false, mtls: false },
        via: "api-key",
        subject: "ci-bot",
      });
    }
    // A wrong secret for the same id, an unknown id, a malformed key.
    const wrong = `mcpp_ci-bot_${"A".repeat(43)}`;
    refused(await auth.authenticate(bearer(wrong)), "the API key is not valid");
    refused(await auth.authenticate(bearer(`mcpp_nobody_${key.slice(-43)}`)), "the API key is not valid");
    refused(await auth.authenticate(bearer("mcpp_short")), "the API key is malformed");
    refused(await auth.authenticate(xApiKey("not-a-key")), "the X-API-Key header must hold an API key (mcpp_...)");
    // Both headers at once: refused.
    const both = await auth.authenticate({ method: "POST", path: "/mcp", headers: { authorization: `Bearer ${key}`, "x-api-key": key }, remoteAddress: "127.0.0.1" });
    expect(!both.ok && both.status).toBe(401);
    // A JWT-looking bearer when only API keys are configured.
    refused(await auth.authenticate(bearer("eyJhbGciOiJSUzI1NiJ9.e30.c2ln")), "bearer tokens other than API keys are not accepted here");

    // list: ids and expiry, never hashes; a duplicate id is refused and the file is unchanged.
    const listed = cli(["list", "--file", file]);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toContain("ci-bot  principal ci-bot (roles deployer)");
    expect(listed.stdout).not.toMatch(/sha256/);
    const dup = cli(["create", "--file", file, "--id", "ci-bot"]);
    expect(dup.status).toBe(2);
    expect(dup.stdout).toBe("");
    expect(readFileSync(file, "utf8")).toBe(text);
  });

  it("an expired key is refused (the clock is injected)", async () => {
    const file = path.join(dir, "expiring.json");
    let now = Date.parse("2030-01-01T00:00:00Z");
    let key = "";
    const outText: string[] = [];
    const origWrite = process.stdout.write.bind(process.stdout);
    const origErr = process.stderr.write.bind(process.stderr);
    (process.stdout as { write: unknown }).write = (chunk: string) => (outText.push(String(chunk)), true);
    (process.stderr as { write: unknown }).write = () => true;
    try {
      expect(await keysRun(["create", "--file", file, "--id", "temp", "--role", "viewer", "--expires", "1h"], () => now)).toBe(0);
    } finally {
      (process.stdout as { write: unknown }).write = origWrite;
      (process.stderr as { write: unknown }).write = origErr;
    }
    key = outText.join("").trim();
    const doc = JSON.parse(readFileSync(file, "utf8")) as { keys: { expires: string }[] };
    expect(doc.keys[0]?.expires).toBe("2030-01-01T01:00:00.000Z");
    const auth = createAuthenticator(config(file), RESOURCE, { now: () => now });
    expect((await auth.authenticate(bearer(key))).ok).toBe(true);
    now += 3_600_000;
    refused(await auth.authenticate(bearer(key)), "the API key has expired");
  });

  it("a revoked key stops working once the file is re-read; a broken file refuses every key until it is valid again", async () => {
    const file = path.join(dir, "revoke.yaml");
    const a = cli(["create", "--file", file, "--id", "a"]).stdout.trim();
    const b = cli(["create", "--file", file, "--id", "b", "--role", "r1", "--role", "r2"]).stdout.trim();
    let now = Date.now();
    const warnings: string[] = [];
    const auth = createAuthenticator(config(file), RESOURCE, { now: () => now, warn: (m) => warnings.push(m) });
    expect((await auth.authenticate(bearer(a))).ok).toBe(true);
    const rb = await auth.authenticate(bearer(b));
    expect(rb.ok && rb.principal).toEqual({ id: "b", roles: ["r1", "r2"] });

    const revoked = cli(["revoke", "--file", file, "--id", "a"]);
    expect(revoked.status).toBe(0);
    expect(cli(["revoke", "--file", file, "--id", "a"]).status).toBe(1);
    now += 1000; // the file is stat'ed at most once a second
    refused(await auth.authenticate(bearer(a)), "the API key is not valid");
    expect((await auth.authenticate(bearer(b))).ok).toBe(true);

    const good = readFileSync(file, "utf8");
    writeFileSync(file, `${good}\n  - id: [broken`);
    now += 1000;
    refused(await auth.authenticate(bearer(b)), "API keys cannot be checked right now");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("every API key is refused");
    writeFileSync(file, good);
    now += 1000;
    expect((await auth.authenticate(bearer(b))).ok).toBe(true);

    // A gateway does not start on a broken or missing key file.
    expect(() => createAuthenticator(config(path.join(dir, "missing.yaml")), RESOURCE)).toThrow(/cannot be read/);
  });

  it("a key that verified is remembered, but never past a change of its record: a re-created id refuses the old secret at once, takes the new one, and a wrong secret for a remembered id is still a mismatch", () => {
    const file = path.join(dir, "remembered.json");
    const write = (entries: { id: string; hash: string; key?: string }[]) =>
      writeFileSync(file, JSON.stringify({ keys: entries.map((e) => ({ id: e.id, hash: e.hash, principal: { id: e.id, roles: ["r"] }, created: "2030-01-01T00:00:00Z" })) }));
    const first = { id: "svc", ...generateApiKey("svc") };
    write([first]);
    let now = Date.parse("2030-01-01T00:00:00Z");
    const store = new ApiKeyStore(file, () => now);
    for (let i = 0; i < 3; i++) expect(store.verify(first.key)).toMatchObject({ ok: true, record: { id: "svc" } });
    const wrong = `${first.key.slice(0, -4)}AAAA` === first.key ? `${first.key.slice(0, -4)}BBBB` : `${first.key.slice(0, -4)}AAAA`;
    expect(store.verify(wrong)).toEqual({ ok: false, reason: "mismatch", id: "svc" });
    const second = { id: "svc", ...generateApiKey("svc") };
    write([second]);
    utimesSync(file, new Date(now + 5000), new Date(now + 5000)); // a different mtime even within one second
    now += 1000;
    expect(store.verify(first.key)).toEqual({ ok: false, reason: "mismatch", id: "svc" });
    expect(store.verify(second.key)).toMatchObject({ ok: true, record: { id: "svc" } });
  });

  it("usage errors: bad id, past expiry, --principal with --role, unknown action", () => {
    const file = path.join(dir, "usage.yaml");
    expect(cli(["create", "--file", file, "--id", "bad id"]).status).toBe(2);
    expect(cli(["create", "--file", file, "--id", "x", "--expires", "2001-01-01T00:00:00Z"]).stderr).toMatch(/not in the future/);
    expect(cli(["create", "--file", file, "--id", "x", "--principal", file, "--role", "r"]).status).toBe(2);
    expect(cli(["rotate", "--file", file]).stderr).toMatch(/unknown keys action 'rotate'/);
    expect(cli(["list"]).stderr).toMatch(/needs --file/);
    // A change while another holds the lock is refused, and nothing is written.
    writeFileSync(`${file}.lock`, "");
    const locked = cli(["create", "--file", file, "--id", "y"]);
    expect(locked.status).toBe(2);
    expect(locked.stderr).toMatch(/another keys command/);
    expect(locked.stdout).toBe("");
    rmSync(`${file}.lock`);
    expect(cli(["create", "--file", file, "--id", "y"]).status).toBe(0);
    const help = spawnSync(process.execPath, [CLI, "keys", "--help"], { encoding: "utf8" });
    expect(help.stdout).toContain("mcppolicy keys create --file FILE --id ID");
  });
});
