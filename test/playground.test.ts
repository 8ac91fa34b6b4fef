/**
 * The browser playground (playground/, scripts/build-playground.mjs), driven as a user in Debian's headless
 * Chromium through playwright-core: a fresh build in a temp dir served on 127.0.0.1, then type a broken
 * policy and see the diagnostic (the same code, line and column Node's compiler reports), fix it, decide
 * requests (allow and deny, with the very text `mcppolicy explain` prints), reload from a shared link,
 * `import` and `sql(...)` in the browser (a diagnostic; fail closed), and the page from file://.
 * Throughout: no console errors, no page errors, no request leaving 127.0.0.1.
 * Under CI a missing /usr/bin/chromium fails the test; locally the suite is skipped with a message.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { checkPolicy } from "mcppolicy";

const ROOT = path.resolve(import.meta.dirname, "..");
const CHROMIUM = "/usr/bin/chromium";
const CLI = path.join(ROOT, "dist", "cli", "main.js");
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) throw new Error(`${CHROMIUM} is missing: under CI the playground's browser test must run (install Debian's chromium)`);
if (!haveChromium) console.warn(`playground.test.ts: skipped, ${CHROMIUM} is not installed (it runs under CI)`);

const BROKEN = `policy "demo" version "1.0.0"
default deny

role developer {
  allow "reads" tool read_file
  deny "no-writes" tool write_file because "developers do not write files"
}

role admin includes developr {
  allow "all" tool "*"
}
`;
const FIXED = BROKEN.replace("includes developr", "includes developer");
const request = (tool: string, roles = ["developer"]) =>
  JSON.stringify({ principal: { id: "alice", roles }, method: "tools/call", tool, arguments: { path: "src/index.ts" } }, null, 2);

it("playground/src type-checks strictly (its own tsconfig, DOM types)", () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(ROOT, "playground", "tsconfig.json")], { encoding: "utf8", timeout: 120_000 });
  expect(r.stdout + r.stderr).toBe("");
  expect(r.status).toBe(0);
}, 150_000);

describe.skipIf(!haveChromium)("playground in headless Chromium", () => {
  let dir: string;
  let server: Server;
  let base: string;
  let browser: Browser;
  const requests: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "mcppolicy-playground-"));
    const { buildPlayground } = (await import(pathToFileURL(path.join(ROOT, "scripts", "build-playground.mjs")).href)) as {
      buildPlayground(outdir: string): Promise<{ appBytes: number }>;
    };
    const built = await buildPlayground(dir);
    expect(built.appBytes).toBeLessThan(2 * 1024 * 1024);
    server = createServer((req, res) => {
      const name = (req.url ?? "/").split(/[?#]/)[0]!.replace(/^\/+/, "") || "index.html";
      if (!/^[\w.-]+$/.test(name) || !existsSync(path.join(dir, name))) return void res.writeHead(404).end();
      const type = name.endsWith(".html") ? "text/html" : name.endsWith(".js") ? "text/javascript" : "text/css";
      res.writeHead(200, { "content-type": `${type}; charset=utf-8` }).end(readFileSync(path.join(dir, name)));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const addr = server.address();
    if (!addr || typeof addr === "string") throw new Error("no port");
    base = `http://127.0.0.1:${addr.port}/`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function open(url: string): Promise<Page> {
    const page = await browser.newPage();
    page.on("request", (r) => requests.push(r.url()));
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    await page.goto(url);
    return page;
  }

  /** Types into an editor as a user would (fill fires `input`), then presses Decide. */
  async function type(page: Page, policy: string | undefined, req: string | undefined): Promise<void> {
    if (policy !== undefined) await page.fill("#policy", policy);
    if (req !== undefined) await page.fill("#request", req);
    await page.click("#decide");
  }

  const effect = (page: Page) => page.textContent("#effect");
  const explain = async (page: Page) => (await page.textContent("#explain")) ?? "";

  function cliExplain(policy: string, req: string): string {
    const p = path.join(dir, "cli.mcppolicy");
    writeFileSync(p, policy);
    const r = spawnSync(process.execPath, [CLI, "explain", p, "-"], { input: req, encoding: "utf8", timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.trimEnd();
  }

  it("loads with the first bundled example decided", async () => {
    const page = await open(base);
    await expect.poll(() => effect(page)).toBe("allow");
    expect(await page.inputValue("#policy")).toBe(readFileSync(path.join(ROOT, "policies", "seed.mcppolicy"), "utf8"));
    expect(await page.$$eval("#examples option", (os) => os.map((o) => (o as unknown as { value: string }).value))).toEqual(["", "seed", "filesystem", "support-desk"]);
    await page.close();
  });

  it("shows a broken policy's diagnostic with Node's code, line and hint, marks the line, and decides nothing", async () => {
    const page = await open(base);
    await type(page, BROKEN, request("read_file"));
    const [expected] = checkPolicy(BROKEN, { filename: "playground.mcppolicy" }).toJSON();
    expect(expected?.code).toBe("E0101");
    const item = page.locator("#diagnostics li").first();
    await expect.poll(() => item.getAttribute("data-code")).toBe("E0101");
    expect(await page.locator("#diagnostics li").count()).toBe(1);
    expect(await item.locator(".where").textContent()).toBe(`${expected!.start.line}:${expected!.start.column}`);
    expect(await item.locator(".message").textContent()).toBe(`error: ${expected!.message}`);
    expect(await item.locator(".hint").textContent()).toBe("hint: did you mean `developer`?");
    expect(await page.locator("#gutter .err").allTextContents()).toEqual(["9"]);
    expect(await page.locator("#underlay mark").allTextContents()).toEqual(["developr"]);
    expect(await effect(page)).toBe("no decision");
    expect(await explain(page)).toContain("does not compile");

    // Fixed: the diagnostics clear and the request is decided, as the CLI decides it.
    await type(page, FIXED, undefined);
    await expect.poll(() => effect(page)).toBe("allow");
    expect(await page.locator("#diagnostics li").count()).toBe(0);
    expect(await page.textContent("#notes")).toBe("");
    expect(await page.locator("#gutter .err").count()).toBe(0);
    expect(await page.locator("#underlay mark").count()).toBe(0);
    expect(await explain(page)).toBe(cliExplain(FIXED, request("read_file")));

    // A deny, with its reason and the explain table, identical to `mcppolicy explain`.
    await type(page, undefined, request("write_file"));
    await expect.poll(() => effect(page)).toBe("deny");
    const text = await explain(page);
    expect(text).toContain("[deny_rule] no-writes: developers do not write files");
    expect(text).toBe(cliExplain(FIXED, request("write_file")));
    await page.close();
  });

  it("decides on input (debounced) and reports bad request JSON without deciding", async () => {
    const page = await open(base);
    await page.fill("#policy", FIXED);
    await page.fill("#request", request("delete_file", ["admin"]));
    await expect.poll(() => effect(page)).toBe("allow");
    await page.fill("#request", '{"tool": "read_file", "tool": "write_file"}');
    await expect.poll(() => page.textContent("#request-error")).toMatch(/^invalid request JSON: .*duplicate/i);
    expect(await effect(page)).toBe("no decision");
    await page.close();
  });

  it("restores the policy and the request from a shared link", async () => {
    const page = await open(base);
    const req = request("write_file");
    await type(page, FIXED, req);
    await expect.poll(() => effect(page)).toBe("deny");
    const shared = page.url();
    expect(shared).toMatch(/#p=[\w-]+&r=[\w-]+$/);
    await page.close();
    const again = await open(shared);
    await expect.poll(() => effect(again)).toBe("deny");
    expect(await again.inputValue("#policy")).toBe(FIXED);
    expect(await again.inputValue("#request")).toBe(req);
    expect(await again.inputValue("#examples")).toBe("");
    await again.close();
  });

  it("a link whose hash does not decode shows the first example and says so", async () => {
    const page = await open(`${base}#p=%FF%FE&r=@@`);
    await expect.poll(() => effect(page)).toBe("allow");
    expect(await page.inputValue("#examples")).toBe("seed");
    expect(await page.textContent("#status")).toBe("the link's policy could not be read; showing an example");
    await page.close();
  });

  it("gives `import` a diagnostic saying imports are not available", async () => {
    const page = await open(base);
    await type(page, `import "shared/base.mcppolicy"\n${FIXED}`, request("read_file"));
    const item = page.locator("#diagnostics li").first();
    await expect.poll(() => item.getAttribute("data-code")).toBe("E0106");
    expect(await item.locator(".hint").textContent()).toContain("imports are not available in the playground");
    expect(await effect(page)).toBe("no decision");
    await page.close();
  });

  it("fails closed on sql(...) arguments: the PostgreSQL parser is not in the bundle, so the call is denied", async () => {
    const policy = `${FIXED}\nrole dba {\n  allow "queries" tool query\n}\ntool query { args { sql: sql(readonly: true, dialect: "postgresql") } }\n`;
    const req = JSON.stringify({ principal: { id: "d", roles: ["dba"] }, method: "tools/call", tool: "query", arguments: { sql: "SELECT 1" } });
    expect(cliExplain(policy, req)).toMatch(/^effect: allow/); // Node has the parser
    const page = await open(base);
    await type(page, policy, req);
    await expect.poll(() => effect(page)).toBe("deny");
    expect(await explain(page)).toContain("the sql parser could not be loaded");
    expect(await page.textContent("#notes")).toContain("sql(...) checks cannot run in the playground");
    await page.close();
  });

  it("runs the secret detector as Node does, a token hidden in base64 included (the Buffer stand-in)", async () => {
    const policy = `policy "mail" version "1.0.0"\ndefault deny\ndeny "no-secrets-out" tool send_email when args carries secret because "no secrets in email"\nrole agent {\n  allow "mail" tool send_email\n}\n`;
    const hidden = Buffer.from("token=ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8").toString("base64");
    const mail = (body: string) => JSON.stringify({ principal: { id: "a", roles: ["agent"] }, method: "tools/call", tool: "send_email", arguments: { body } });
    const page = await open(base);
    for (const [body, want] of [[`see attachment ${hidden}`, "deny"], ["see you at noon", "allow"]] as const) {
      await type(page, policy, mail(body));
      await expect.poll(() => effect(page)).toBe(want);
      expect(await explain(page)).toBe(cliExplain(policy, mail(body)));
    }
    await page.close();
  });

  it("shows a long deny reason whole: the explain pane wraps instead of hiding it past the right edge", async () => {
    const page = await open(base);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.selectOption("#examples", "seed");
    const req = JSON.stringify({ principal: { id: "alice", roles: ["developer"] }, method: "tools/call", tool: "read_file", arguments: { path: "../../etc/passwd" } });
    await type(page, undefined, req);
    await expect.poll(() => effect(page)).toBe("deny");
    expect(await explain(page)).toContain("resolves outside the sandbox root `/workspace`");
    const box = await page.$eval("#explain", (e) => ({ scroll: e.scrollWidth, client: e.clientWidth }));
    expect(box.scroll).toBeLessThanOrEqual(box.client);
    await page.close();
  });

  it("works from file:// with no server", async () => {
    const page = await open(pathToFileURL(path.join(dir, "index.html")).href);
    await expect.poll(() => effect(page)).toBe("allow");
    await type(page, FIXED, request("write_file"));
    await expect.poll(() => effect(page)).toBe("deny");
    await page.close();
  });

  it("made no request outside 127.0.0.1 (or the file) and logged no error", () => {
    expect(requests.length).toBeGreaterThan(0);
    const outside = requests.filter((u) => !u.startsWith(base) && !u.startsWith(pathToFileURL(dir).href));
    expect(outside).toEqual([]);
    expect(problems).toEqual([]);
  });
}, 180_000);
