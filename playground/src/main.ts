/**
 * The playground page: compiles the policy in the editor on every edit (debounced) and on Decide, lists
 * the compiler's diagnostics (code, line:col, message, hint) and marks their lines in the gutter, then
 * decides the request beside it with the reference interpreter and shows `mcppolicy explain`'s text.
 * The diagnostics' spans are underlined in place by a layer behind the transparent textarea.
 * GUARANTEES: everything runs in the page (no network: the examples are bundled, the compiler gets no file
 * reader, so `import` is a diagnostic); a policy with errors decides nothing; an exception from the
 * compiler or the decision is shown as an error, never as a decision; the policy and request live in the URL
 * hash (`#p=...&r=...`, UTF-8 base64url), so a copied link restores both. `sql(...)` cannot run here
 * (its parsers are Node-only: libpg-query's WASM is loaded from disk, node-sql-parser by require), so a
 * sql-typed argument is denied with the reason "the sql parser could not be loaded", and a note says so.
 */
import { checkPolicy, compilePolicy } from "../../src/policy.js";
import { parseRequestJson, RequestJsonError } from "../../src/eval/request-json.js";
import { formatDecision, formatRules } from "../../src/contract/format.js";
import type { JsonDiagnostic } from "../../src/diagnostics/render.js";
import type { PolicyRequest } from "../../src/contract/index.js";
import examples from "playground:examples";

const FILENAME = "playground.mcppolicy";
const DEBOUNCE_MS = 250;
const SQL_NOTE =
  "note: sql(...) checks cannot run in the playground (the SQL parsers are not bundled): every sql-typed argument is denied, and dialects other than postgresql are reported as unavailable";
const IMPORT_HINT = "imports are not available in the playground: paste the imported declarations into this policy";

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`playground: element #${id} is missing from index.html`);
  return el as T;
}

const ui = {
  examples: byId<HTMLSelectElement>("examples"),
  share: byId<HTMLButtonElement>("share"),
  status: byId<HTMLSpanElement>("status"),
  policy: byId<HTMLTextAreaElement>("policy"),
  gutter: byId<HTMLPreElement>("gutter"),
  underlay: byId<HTMLPreElement>("underlay"),
  diagnostics: byId<HTMLUListElement>("diagnostics"),
  diagCount: byId<HTMLSpanElement>("diag-count"),
  notes: byId<HTMLDivElement>("notes"),
  request: byId<HTMLTextAreaElement>("request"),
  requestError: byId<HTMLDivElement>("request-error"),
  decide: byId<HTMLButtonElement>("decide"),
  effect: byId<HTMLSpanElement>("effect"),
  explain: byId<HTMLPreElement>("explain"),
};

// ---- URL hash: UTF-8 text as base64url ---------------------------------------------------------------

function toBase64Url(text: string): string {
  let bin = "";
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(s: string): string | undefined {
  try {
    const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
    return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

function stateHash(): string {
  return `#p=${toBase64Url(ui.policy.value)}&r=${toBase64Url(ui.request.value)}`;
}

/** The policy and request of the hash, or undefined when there is none or it does not decode. */
function readHash(): { policy: string; request: string } | undefined {
  const params = new URLSearchParams(location.hash.slice(1));
  const p = params.get("p");
  const r = params.get("r");
  if (p === null || r === null) return undefined;
  const policy = fromBase64Url(p);
  const request = fromBase64Url(r);
  return policy === undefined || request === undefined ? undefined : { policy, request };
}

// ---- the editor's gutter -----------------------------------------------------------------------------

function renderGutter(marks: Map<number, { severity: string; text: string }>): void {
  const lines = ui.policy.value.split("\n").length;
  ui.gutter.replaceChildren();
  for (let i = 1; i <= lines; i++) {
    const span = document.createElement("span");
    span.textContent = String(i);
    const mark = marks.get(i);
    if (mark) {
      span.className = mark.severity === "error" ? "err" : "warn";
      span.title = mark.text;
      span.dataset.line = String(i);
    }
    ui.gutter.append(span, "\n");
  }
  ui.gutter.scrollTop = ui.policy.scrollTop;
}

/**
 * The text behind the (transparent) editor, with each diagnostic's span wrapped in a wavy-underlined
 * `<mark>`: same font and padding, so the underlines sit under the characters. Overlapping spans: the
 * earlier one wins. An empty span underlines one character.
 */
function renderUnderlay(diags: JsonDiagnostic[]): void {
  const text = ui.policy.value;
  const spans = diags
    .filter((d) => d.file === FILENAME)
    .map((d) => ({ start: Math.min(d.start.offset, text.length), end: Math.min(Math.max(d.end.offset, d.start.offset + 1), text.length), d }))
    .sort((a, b) => a.start - b.start);
  ui.underlay.replaceChildren();
  let at = 0;
  for (const s of spans) {
    if (s.start < at || s.end <= s.start) continue;
    ui.underlay.append(text.slice(at, s.start));
    const mark = Object.assign(document.createElement("mark"), { className: s.d.severity, textContent: text.slice(s.start, s.end), title: `${s.d.code} ${s.d.message}` });
    mark.dataset.code = s.d.code;
    ui.underlay.append(mark);
    at = s.end;
  }
  // A final newline keeps the last line's height, as the textarea has it.
  ui.underlay.append(text.slice(at) + "\n");
  syncScroll();
}

function syncScroll(): void {
  ui.gutter.scrollTop = ui.policy.scrollTop;
  ui.underlay.scrollTop = ui.policy.scrollTop;
  ui.underlay.scrollLeft = ui.policy.scrollLeft;
}

function jumpTo(d: JsonDiagnostic): void {
  ui.policy.focus();
  ui.policy.setSelectionRange(d.start.offset, Math.max(d.end.offset, d.start.offset + 1));
  const lineHeight = 18;
  ui.policy.scrollTop = Math.max(0, (d.start.line - 3) * lineHeight);
}

function renderDiagnostics(diags: JsonDiagnostic[]): void {
  const marks = new Map<number, { severity: string; text: string }>();
  ui.diagnostics.replaceChildren();
  for (const d of diags) {
    const hint = d.code === "E0106" ? IMPORT_HINT : d.hint;
    const li = document.createElement("li");
    li.className = d.severity;
    li.dataset.code = d.code;
    li.dataset.line = String(d.start.line);
    const code = Object.assign(document.createElement("span"), { className: "code", textContent: d.code });
    const where = Object.assign(document.createElement("span"), { className: "where", textContent: `${d.start.line}:${d.start.column}` });
    const msg = Object.assign(document.createElement("span"), { className: "message", textContent: `${d.severity}: ${d.message}` });
    li.append(code, where, msg);
    if (hint) li.append(Object.assign(document.createElement("span"), { className: "hint", textContent: `hint: ${hint}` }));
    li.addEventListener("click", () => jumpTo(d));
    ui.diagnostics.append(li);
    const prev = marks.get(d.start.line);
    const text = `${d.code} ${d.message}`;
    if (!prev || (prev.severity !== "error" && d.severity === "error")) marks.set(d.start.line, { severity: d.severity, text: prev ? `${text}\n${prev.text}` : text });
    else prev.text += `\n${text}`;
  }
  const errors = diags.filter((d) => d.severity === "error").length;
  ui.diagCount.textContent = diags.length === 0 ? "(none)" : `(${errors} error${errors === 1 ? "" : "s"}, ${diags.length - errors} other)`;
  renderGutter(marks);
  renderUnderlay(diags);
}

// ---- compile and decide ------------------------------------------------------------------------------

function showOutcome(effect: string, cls: string, text: string): void {
  ui.effect.textContent = effect;
  ui.effect.className = cls;
  ui.explain.textContent = text;
}

function run(): void {
  history.replaceState(null, "", stateHash());
  const source = ui.policy.value;
  const options = { filename: FILENAME, readFile: null };
  let check;
  try {
    check = checkPolicy(source, options);
  } catch (e) {
    renderDiagnostics([]);
    showOutcome("error", "deny", `the compiler failed: ${e instanceof Error ? e.message : String(e)}\nnothing was decided`);
    return;
  }
  renderDiagnostics(check.toJSON());
  // Informational only (a comment mentioning sql( shows it too): the decision itself fails closed.
  ui.notes.textContent = /\bsql\s*\(/.test(source) ? SQL_NOTE : "";
  let request: unknown;
  try {
    request = parseRequestJson(ui.request.value);
    ui.requestError.textContent = "";
  } catch (e) {
    ui.requestError.textContent = `invalid request JSON: ${e instanceof RequestJsonError || e instanceof Error ? e.message : String(e)}`;
    showOutcome("no decision", "", "the request is not valid JSON; nothing was decided");
    return;
  }
  if (!check.ok) {
    showOutcome("no decision", "", "the policy does not compile; nothing was decided");
    return;
  }
  try {
    const policy = compilePolicy(source, options);
    const explanation = policy.explain(request as PolicyRequest);
    const d = explanation.decision;
    showOutcome(d.effect, d.effect, [...formatDecision(d), "", "rules:", ...formatRules(explanation.rules)].join("\n"));
  } catch (e) {
    showOutcome("error", "deny", `the decision failed: ${e instanceof Error ? e.message : String(e)}\nnothing was decided`);
  }
}

let timer: ReturnType<typeof setTimeout> | undefined;
function schedule(): void {
  if (timer !== undefined) clearTimeout(timer);
  timer = setTimeout(() => {
    timer = undefined;
    run();
  }, DEBOUNCE_MS);
}

function load(policy: string, request: string): void {
  ui.policy.value = policy;
  ui.request.value = request;
  run();
}

function loadFromHashOrExample(): void {
  const state = readHash();
  if (state) {
    load(state.policy, state.request);
    ui.examples.value = "";
    return;
  }
  if (location.hash.length > 1) ui.status.textContent = "the link's policy could not be read; showing an example";
  const first = examples[0];
  if (first) {
    ui.examples.value = first.name;
    load(first.policy, first.request);
  }
}

// ---- wiring ------------------------------------------------------------------------------------------

ui.examples.append(Object.assign(document.createElement("option"), { value: "", textContent: "(from link / edited)" }));
for (const e of examples) ui.examples.append(Object.assign(document.createElement("option"), { value: e.name, textContent: e.name }));
ui.examples.addEventListener("change", () => {
  const e = examples.find((x) => x.name === ui.examples.value);
  if (e) load(e.policy, e.request);
});
ui.policy.addEventListener("input", schedule);
ui.request.addEventListener("input", schedule);
ui.policy.addEventListener("scroll", syncScroll);
ui.decide.addEventListener("click", () => {
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
  run();
});
ui.share.addEventListener("click", () => {
  history.replaceState(null, "", stateHash());
  const url = location.href;
  navigator.clipboard?.writeText(url).then(
    () => (ui.status.textContent = "link copied"),
    () => (ui.status.textContent = "copy the address bar to share"),
  ) ?? (ui.status.textContent = "copy the address bar to share");
});
window.addEventListener("hashchange", loadFromHashOrExample);
loadFromHashOrExample();
