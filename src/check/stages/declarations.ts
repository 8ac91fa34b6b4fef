/**
 * Stage `declarations`: walks the merged files (imports first, then the main file) once and fills the
 * symbol tables (constants, sets, roles, tools, servers), reporting a missing or misplaced header, every
 * duplicate name (E0103, pointing at the first), a `default` outside the main file or given twice, a
 * top-level `allow` (E0301), a `mode` outside the main file, given twice or unknown (E0113, E0137), redaction keys holding pattern syntax other than `*` (E0212) and `default allow` (W0004).
 * Guarantees: each name is bound to its first declaration; the products keep declaration order, which
 * rule and budget numbering follow.
 */
import type * as A from "../../ast/nodes.js";
import { assertNever } from "../../ast/nodes.js";
import { defaultAllow, duplicateDeclaration, misplaced, missingHeader, redactPattern, topLevelAllow, unknownMode } from "../../diagnostics/catalog.js";
import { span } from "../../source/source.js";
import { defineStage, type Declarations } from "../state.js";

/** Characters of glob or regex syntax a redaction key cannot hold (`*` it can: eval/redact-keys.ts). */
const PATTERN_CHARS = /[?[\]{}()|^$+\\]/;
const longestPlainRun = (text: string) => text.split(new RegExp(`${PATTERN_CHARS.source}+`)).reduce((a, b) => (b.length > a.length ? b : a), "");
/** What the author likely meant: `?` and classes as `*`, anchors and escapes dropped; else the longest plain run. */
const suggestion = (text: string) => {
  const glob = text.replace(/\[[^\]]*\]|\?/g, "*").replace(/[\^$\\+]/g, "");
  return PATTERN_CHARS.test(glob) ? longestPlainRun(text) : glob;
};

export const declarationsStage = defineStage({
  name: "declarations",
  needs: [],
  produces: ["declarations"],
  input: "any",
  run({ files, main, sym }) {
    const d = sym.diagnostics;
    if (!main.header) d.push(missingHeader(span(main.file, 0, 0)));
    let defaultDecl: A.DefaultDecl | undefined;
    let modeDecl: A.ModeDecl | undefined;
    const topRules: A.RuleDecl[] = [];
    const ruleServers = new Map<A.RuleDecl, string>();
    const topLimits: A.LimitDecl[] = [];
    const redact: string[] = [];
    const results: A.ResultDecl[] = [];
    const firstSpan = new Map<string, A.Name["span"]>();
    const declare = <T>(map: Map<string, T>, what: string, name: A.Name, decl: T) => {
      const key = `${what}:${name.text}`;
      const first = firstSpan.get(key);
      if (first) {
        d.push(duplicateDeclaration(name.span, what, name.text, first));
        return;
      }
      firstSpan.set(key, name.span);
      map.set(name.text, decl);
    };
    // Imports are merged before the main file's own declarations (rule numbering follows this order).
    const ordered = [...files.slice(1), main];
    for (const f of ordered) {
      for (const decl of f.declarations) {
        switch (decl.kind) {
          case "header":
            d.push(misplaced(decl.span, "the `policy` header must come first, once", "move it to the top of the file"));
            break;
          case "default":
            if (f !== main) d.push(misplaced(decl.span, "an imported file cannot set the default effect", "set `default` in the main policy file"));
            else if (defaultDecl) d.push(duplicateDeclaration(decl.span, "default", "default", defaultDecl.span));
            else defaultDecl = decl;
            break;
          case "mode":
            // Like `default`: the main file's, once (E0113); `shadow` or `enforce` (E0137).
            if (f !== main) d.push(misplaced(decl.span, "an imported file cannot set the mode", "set `mode` in the main policy file"));
            else if (modeDecl) d.push(misplaced(decl.span, "`mode` is given twice", "keep one: `mode shadow` or `mode enforce`"));
            else if (decl.mode.text !== "shadow" && decl.mode.text !== "enforce") d.push(unknownMode(decl.mode.span, decl.mode.text));
            else modeDecl = decl;
            break;
          case "import":
            break; // resolved by the loader
          case "session":
            break; // stage `session` (stages/session.ts)
          case "const":
            declare(sym.consts, "constant", decl.name, decl);
            break;
          case "set":
            declare(sym.setDecls, "set", decl.name, decl);
            break;
          case "role":
            declare(sym.roles, "role", decl.name, decl);
            break;
          case "tool":
            declare(sym.tools, "tool", decl.name, decl);
            break;
          case "rule":
            if (decl.effect === "allow") d.push(topLevelAllow(decl.span));
            else topRules.push(decl);
            break;
          case "result":
            results.push(decl);
            for (const it of decl.items) if (it.kind === "label") sym.resultLabels.add(it.label.text);
            break;
          case "server":
            // Its denies are top-level denies (numbered with them, in source order) scoped to the server.
            declare(sym.servers, "server", decl.name, decl);
            for (const r of decl.rules) {
              if (r.effect === "allow") d.push(topLevelAllow(r.span));
              else {
                topRules.push(r);
                ruleServers.set(r, decl.name.text);
              }
            }
            break;
          case "limit":
            topLimits.push(decl);
            break;
          case "audit":
            for (const k of decl.redact) {
              // Keys match by words, or as a `*` glob: any other pattern syntax would silently redact nothing (E0212).
              if (PATTERN_CHARS.test(k.text)) d.push(redactPattern(k.span, k.text, suggestion(k.text)));
              else redact.push(k.text.toLowerCase());
            }
            break;
          default:
            assertNever(decl);
        }
      }
    }
    if (defaultDecl?.effect === "allow") d.push(defaultAllow(defaultDecl.span));
    const declarations: Declarations = { defaultDecl, shadow: modeDecl?.mode.text === "shadow", topRules, ruleServers, topLimits, redactKeys: redact, results };
    return { declarations };
  },
});
