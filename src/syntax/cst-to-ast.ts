/**
 * CST -> AST. Total over any CST the recovering parser can produce: nodes that recovery left
 * incomplete are skipped (the parser already reported them), so this stage never throws on
 * malformed input. String escapes are decoded here; a bad escape is a diagnostic.
 */
import type { CstNode, IToken } from "chevrotain";
import type * as A from "../ast/nodes.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { invalidEscape, syntaxError } from "../diagnostics/catalog.js";
import { joinSpans, span, type Span } from "../source/source.js";

type Child = CstNode | IToken;

export class AstBuilder {
  readonly diagnostics: Diagnostic[] = [];
  constructor(private readonly file: string) {}

  // ---- helpers ----
  private tokSpan(t: IToken): Span {
    return span(this.file, t.startOffset, (t.endOffset ?? t.startOffset) + 1);
  }
  private nodeSpan(n: CstNode): Span {
    const loc = n.location;
    if (!loc || Number.isNaN(loc.startOffset)) return span(this.file, 0, 0);
    return span(this.file, loc.startOffset, (Number.isNaN(loc.endOffset ?? NaN) ? loc.startOffset : (loc.endOffset as number)) + 1);
  }
  // Hot helpers (a large policy has hundreds of thousands of CST nodes): plain loops, no closures.
  private nodes(n: CstNode, key: string): CstNode[] {
    const list = n.children[key] as Child[] | undefined;
    const out: CstNode[] = [];
    if (list) for (let i = 0; i < list.length; i++) if ("children" in list[i]!) out.push(list[i] as CstNode);
    return out;
  }
  private node(n: CstNode, key: string): CstNode | undefined {
    const list = n.children[key] as Child[] | undefined;
    if (list) for (let i = 0; i < list.length; i++) if ("children" in list[i]!) return list[i] as CstNode;
    return undefined;
  }
  private static usable(c: Child): c is IToken {
    return "image" in c && !Number.isNaN(c.startOffset) && !c.isInsertedInRecovery;
  }
  private toks(n: CstNode, key: string): IToken[] {
    const list = n.children[key] as Child[] | undefined;
    const out: IToken[] = [];
    if (list) for (let i = 0; i < list.length; i++) if (AstBuilder.usable(list[i]!)) out.push(list[i] as IToken);
    return out;
  }
  private tok(n: CstNode, key: string): IToken | undefined {
    const list = n.children[key] as Child[] | undefined;
    if (list) for (let i = 0; i < list.length; i++) if (AstBuilder.usable(list[i]!)) return list[i] as IToken;
    return undefined;
  }

  /** Decode a string token's JSON-style escapes. */
  str(t: IToken): string {
    const raw = t.image.slice(1, -1);
    if (!raw.includes("\\")) return raw;
    let out = "";
    for (let i = 0; i < raw.length; i++) {
      const c = raw[i] as string;
      if (c !== "\\") {
        out += c;
        continue;
      }
      const e = raw[i + 1];
      const map: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", n: "\n", t: "\t", r: "\r", b: "\b", f: "\f" };
      if (e !== undefined && e in map) {
        out += map[e];
        i++;
      } else if (e === "u" && /^[0-9a-fA-F]{4}$/.test(raw.slice(i + 2, i + 6))) {
        out += String.fromCharCode(parseInt(raw.slice(i + 2, i + 6), 16));
        i += 5;
      } else {
        const at = t.startOffset + 1 + i;
        this.diagnostics.push(invalidEscape(span(this.file, at, at + 2), "\\" + (e ?? "")));
        i++;
      }
    }
    return out;
  }

  private nameOf(n: CstNode | undefined): A.Name | undefined {
    if (!n) return undefined;
    const id = this.tok(n, "Identifier");
    if (id) return { text: id.image, span: this.tokSpan(id) };
    const s = this.tok(n, "StringLiteral");
    if (s) return { text: this.str(s), span: this.tokSpan(s) };
    return undefined;
  }
  private wordName(t: IToken | undefined): A.Name | undefined {
    if (!t) return undefined;
    return { text: t.tokenType.name === "StringLiteral" ? this.str(t) : t.image, span: this.tokSpan(t) };
  }

  // ---- file ----
  file_(root: CstNode): A.PolicyFileAst {
    const headerNode = this.node(root, "header");
    const header = headerNode ? this.header(headerNode) : undefined;
    const declarations: A.Declaration[] = [];
    for (const d of this.nodes(root, "declaration")) {
      const decl = this.declaration(d);
      if (decl) declarations.push(decl);
    }
    return header ? { file: this.file, header, declarations } : { file: this.file, declarations };
  }

  private header(n: CstNode): A.HeaderDecl | undefined {
    const name = this.tok(n, "name");
    if (!name) return undefined;
    const version = this.tok(n, "version");
    const h: A.HeaderDecl = { kind: "header", name: this.str(name), span: this.nodeSpan(n) };
    return version ? { ...h, version: this.str(version) } : h;
  }

  private declaration(n: CstNode): A.Declaration | undefined {
    const [key] = Object.keys(n.children);
    const child = key ? this.node(n, key) : undefined;
    if (!child) return undefined;
    switch (key) {
      case "defaultDecl": {
        const eff = this.tok(child, "Allow") ? "allow" : this.tok(child, "Deny") ? "deny" : undefined;
        return eff ? { kind: "default", effect: eff, span: this.nodeSpan(child) } : undefined;
      }
      case "importDecl": {
        const s = this.tok(child, "StringLiteral");
        return s ? { kind: "import", path: this.str(s), span: this.nodeSpan(child), pathSpan: this.tokSpan(s) } : undefined;
      }
      case "constDecl": {
        const id = this.tok(child, "Identifier");
        const lit = this.literal(this.node(child, "literal"));
        return id && lit ? { kind: "const", name: this.wordName(id)!, value: lit, span: this.nodeSpan(child) } : undefined;
      }
      case "setDecl": {
        const name = this.wordName(this.tok(child, "name"));
        const kind = this.wordName(this.tok(child, "kind"));
        const list = this.list(this.node(child, "listLiteral"));
        return name && kind && list ? { kind: "set", name, setKind: kind, items: list, span: this.nodeSpan(child) } : undefined;
      }
      case "roleDecl":
        return this.role(child);
      case "toolDecl":
        return this.tool(child);
      case "rule":
        return this.rule(child);
      case "limitDecl":
        return this.limit(child);
      case "auditDecl":
        return {
          kind: "audit",
          redact: this.toks(child, "key").map((t) => this.wordName(t)!),
          span: this.nodeSpan(child),
        };
      case "serverDecl":
        return this.server(child);
      case "modeDecl": {
        const mode = this.wordName(this.tok(child, "mode"));
        return mode ? { kind: "mode", mode, span: this.nodeSpan(child) } : undefined;
      }
      case "resultDecl":
        return this.result(child);
      case "sessionDecl":
        return this.sessionDecl(child);
      case "misplacedHeader": {
        const h = this.node(child, "header");
        return h ? this.header(h) : undefined;
      }
      default:
        return undefined;
    }
  }

  private role(n: CstNode): A.RoleDecl | undefined {
    const name = this.nameOf(this.node(n, "name"));
    if (!name) return undefined;
    const includes = this.nodes(n, "included").map((c) => this.nameOf(c)).filter((x): x is A.Name => !!x);
    const members: A.MemberDecl[] = [];
    for (const m of this.nodes(n, "memberDecl")) {
      const e = this.expr(this.node(m, "expression"));
      if (e) members.push({ kind: "member", when: e, span: this.nodeSpan(m) });
    }
    const rules = this.nodes(n, "rule").map((r) => this.rule(r)).filter((x): x is A.RuleDecl => !!x);
    const limits = this.nodes(n, "limitDecl").map((l) => this.limit(l)).filter((x): x is A.LimitDecl => !!x);
    // Rules must keep source order: CST groups children by name, and they are already in order.
    return { kind: "role", name, includes, members, rules, limits, span: this.nodeSpan(n) };
  }

  private result(n: CstNode): A.ResultDecl | undefined {
    const kindTok = this.tok(n, "targetKind");
    if (!kindTok) return undefined;
    const patterns = this.toks(n, "pattern").map((p) =>
      p.tokenType.name === "StringLiteral" ? { text: this.str(p), quoted: true, span: this.tokSpan(p) } : { text: p.image, quoted: false, span: this.tokSpan(p) },
    );
    if (patterns.length === 0) return undefined;
    const items: A.ResultItem[] = [];
    for (const it of this.nodes(n, "items")) {
      const span = this.nodeSpan(it);
      const label = this.tok(it, "label");
      if (this.tok(it, "labelWord")) {
        if (!label) continue;
        const when = this.expr(this.node(it, "when"));
        const field = this.fieldSelection(it);
        items.push({ kind: "label", label: { text: label.image, span: this.tokSpan(label) }, ...(field && { field }), ...(when && { when }), span });
      } else if (this.tok(it, "redactWord")) {
        items.push({ kind: "redact", detectors: this.toks(it, "detector").map((t) => ({ text: t.image, span: this.tokSpan(t) })), span });
      } else if (this.tok(it, "capWord")) {
        const b = this.tok(it, "capBytes");
        if (b) items.push({ kind: "cap", bytes: Number(b.image), span });
      } else if (this.tok(it, "denyWord")) {
        const name = this.tok(it, "denyName");
        const when = this.expr(this.node(it, "denyWhen"));
        const because = this.tok(it, "because");
        items.push({ kind: "deny", ...(name && { name: { text: this.str(name), span: this.tokSpan(name) } }), ...(when && { when }), ...(because && { because: this.str(because) }), span });
      }
    }
    const when = this.expr(this.node(n, "when"));
    return { kind: "result", target: kindTok.image as A.TargetKind, patterns, ...(when && { when }), items, span: this.nodeSpan(n) };
  }

  /** `on PATH [for item in PATH] [where EXPR]` of a label item, when present and complete. */
  private fieldSelection(it: CstNode): A.FieldSelection | undefined {
    const on = this.tok(it, "onWord");
    const pathNode = this.node(it, "fieldPath");
    if (!on || !pathNode) return undefined;
    const path = this.path(pathNode);
    if (!path) return undefined;
    let each: A.FieldSelection["each"];
    const item = this.tok(it, "itemWord");
    const coll = this.node(it, "collection");
    if (this.tok(it, "forWord")) {
      const collection = coll ? this.path(coll) : undefined;
      if (!item || !collection) return undefined;
      each = { item: { text: item.image, span: this.tokSpan(item) }, collection };
    }
    const where = this.expr(this.node(it, "where"));
    const end = where?.span ?? each?.collection.span ?? path.span;
    return { path, ...(each && { each }), ...(where && { where }), span: joinSpans(this.tokSpan(on), end) };
  }

  private server(n: CstNode): A.ServerDecl | undefined {
    const name = this.nameOf(this.node(n, "name"));
    if (!name) return undefined;
    const rules = this.nodes(n, "rule").map((r) => this.rule(r)).filter((x): x is A.RuleDecl => !!x);
    const tools = this.nodes(n, "toolDecl").map((t) => this.tool(t)).filter((x): x is A.ToolDecl => !!x);
    const limits = this.nodes(n, "limitDecl").map((l) => this.limit(l)).filter((x): x is A.LimitDecl => !!x);
    return { kind: "server", name, rules, tools, limits, span: this.nodeSpan(n) };
  }

  private rule(n: CstNode): A.RuleDecl | undefined {
    const effect = this.tok(n, "Allow") ? "allow" : this.tok(n, "Deny") ? "deny" : undefined;
    const kindTok = this.tok(n, "targetKind");
    if (!effect || !kindTok) return undefined;
    const target = kindTok.image as A.TargetKind;
    const patterns = this.toks(n, "pattern").map((p) =>
      p.tokenType.name === "StringLiteral" ? { text: this.str(p), quoted: true, span: this.tokSpan(p) } : { text: p.image, quoted: false, span: this.tokSpan(p) },
    );
    if (patterns.length === 0) return undefined;
    const when = this.expr(this.node(n, "when"));
    const unless = this.expr(this.node(n, "unless"));
    const because = this.tok(n, "because");
    let r: A.RuleDecl = { kind: "rule", effect, target, patterns, span: this.nodeSpan(n) };
    const name = this.tok(n, "ruleName");
    if (name) r = { ...r, name: { text: this.str(name), span: this.tokSpan(name) } };
    if (when) r = { ...r, when };
    if (unless) r = { ...r, unless };
    if (because) r = { ...r, because: this.str(because) };
    return r;
  }

  private tool(n: CstNode): A.ToolDecl | undefined {
    const name = this.nameOf(this.node(n, "name"));
    if (!name) return undefined;
    const repeated: { what: string; span: Span }[] = [];
    const risks = this.nodes(n, "riskDecl");
    const approvals = this.nodes(n, "approvalDecl");
    const argsDecls = this.nodes(n, "argsDecl");
    for (const [what, list] of [["risk", risks], ["approval", approvals], ["args", argsDecls]] as const) {
      for (const extra of list.slice(1)) repeated.push({ what, span: this.nodeSpan(extra) });
    }
    let decl: A.ToolDecl = { kind: "tool", name, limits: this.nodes(n, "limitDecl").map((l) => this.limit(l)).filter((x): x is A.LimitDecl => !!x), repeated, span: this.nodeSpan(n) };
    const risk = risks[0] && this.wordName(this.tok(risks[0], "Identifier"));
    if (risk) decl = { ...decl, risk };
    const ap = approvals[0];
    const required = ap && this.wordName(this.tok(ap, "required"));
    if (ap && required) {
      const when = this.expr(this.node(ap, "expression"));
      const bys = this.nodes(ap, "approversDecl");
      for (const extra of bys.slice(1)) repeated.push({ what: "by", span: this.nodeSpan(extra) });
      const by = bys[0] && this.approvers(bys[0]);
      decl = { ...decl, approval: { required, ...(when && { when }), ...(by && { by }), span: this.nodeSpan(ap) } };
    }
    const argsNode = argsDecls[0] && this.node(argsDecls[0], "typeExpr");
    const args = argsNode && this.typeExpr(argsNode);
    if (args) decl = { ...decl, args };
    return decl;
  }

  private approvers(n: CstNode): A.ApproversDecl | undefined {
    const who = this.wordName(this.tok(n, "who"));
    if (!who) return undefined;
    const roles = this.nodes(n, "role").map((r) => this.nameOf(r)).filter((x): x is A.Name => !!x);
    return { who, roles, span: this.nodeSpan(n) };
  }

  private objectType(n: CstNode): A.ObjectTypeExpr {
    const fields: A.FieldDecl[] = [];
    for (const f of this.nodes(n, "field")) {
      const nameTok = this.tok(f, "fieldName");
      const type = this.typeExpr(this.node(f, "typeExpr"));
      if (!nameTok || !type) continue;
      fields.push({ name: this.wordName(nameTok)!, optional: !!this.tok(f, "Question"), type, span: this.nodeSpan(f) });
    }
    return { kind: "object", fields, open: this.toks(n, "Ellipsis").length > 0, span: this.nodeSpan(n) };
  }

  private typeExpr(n: CstNode | undefined): A.TypeExpr | undefined {
    if (!n) return undefined;
    const members = this.nodes(n, "typeAtom").map((a) => this.typeAtom(a)).filter((x): x is A.TypeExpr => !!x);
    if (members.length === 0) return undefined;
    if (members.length === 1) return members[0];
    return { kind: "union", members, span: this.nodeSpan(n) };
  }

  private typeAtom(n: CstNode): A.TypeExpr | undefined {
    const obj = this.node(n, "objectType");
    if (obj) return this.objectType(obj);
    const id = this.tok(n, "Identifier");
    if (!id) return undefined;
    const params: A.TypeParam[] = [];
    const positional: (A.Literal | A.TypeExpr)[] = [];
    for (const a of this.nodes(n, "typeArg")) {
      const pn = this.tok(a, "paramName");
      if (pn) {
        const v = this.value(this.node(a, "value"));
        if (v) params.push({ name: this.wordName(pn)!, value: v });
        continue;
      }
      const lit = this.literal(this.node(a, "literal"));
      if (lit) {
        positional.push(lit);
        continue;
      }
      const t = this.typeExpr(this.node(a, "typeExpr"));
      if (t) positional.push(t);
    }
    return { kind: "named", name: this.wordName(id)!, params, positional, hasParens: this.toks(n, "LParen").length > 0, span: this.nodeSpan(n) };
  }

  private limit(n: CstNode): A.LimitDecl | undefined {
    const kind = this.wordName(this.tok(n, "kind"));
    if (!kind) return undefined;
    let l: A.LimitDecl = { kind: "limit", limitKind: kind, namedAmounts: [], span: this.nodeSpan(n) };
    const amount = this.tok(n, "amount");
    if (amount) l = { ...l, amount: { value: Number(amount.image), span: this.tokSpan(amount) } };
    const named: { name: A.Name; value: number; span: Span }[] = [];
    for (const c of this.nodes(n, "limitClause")) {
      const an = this.tok(c, "amountName");
      const av = this.tok(c, "namedAmount");
      if (an && av) named.push({ name: this.wordName(an)!, value: Number(av.image), span: this.nodeSpan(c) });
      const w = this.tok(c, "window");
      if (w) l = { ...l, window: this.wordName(w)! };
      const wc = this.tok(c, "windowCount");
      if (wc) l = { ...l, windowCount: { value: Number(wc.image), span: this.tokSpan(wc) } };
      const b = this.tok(c, "burst");
      if (b) l = { ...l, burst: { value: Number(b.image), span: this.tokSpan(b) } };
      const keys = this.nodes(c, "keys").map((k) => this.limitKey(k)).filter((x): x is A.LimitKey => !!x);
      if (keys.length > 0) l = { ...l, keys };
      const f = this.tok(c, "failMode");
      if (f) l = { ...l, failMode: this.wordName(f)! };
      const from = this.node(c, "from");
      if (from) {
        const p = this.path(from);
        if (p) l = { ...l, from: p };
      }
    }
    return { ...l, namedAmounts: named };
  }

  // ---- values ----
  literal(n: CstNode | undefined): A.Literal | undefined {
    if (!n) return undefined;
    const s = this.tok(n, "StringLiteral");
    if (s) return { kind: "string", value: this.str(s), span: this.tokSpan(s) };
    const num = this.tok(n, "NumberLiteral");
    if (num) return { kind: "number", value: Number(num.image), span: this.tokSpan(num) };
    const t = this.tok(n, "True") ?? this.tok(n, "False");
    if (t) return { kind: "boolean", value: t.image === "true", span: this.tokSpan(t) };
    return undefined;
  }

  private list(n: CstNode | undefined): A.ListValue | undefined {
    if (!n) return undefined;
    const items = this.nodes(n, "items").map((v) => this.value(v)).filter((x): x is A.Value => !!x);
    return { kind: "list", items, span: this.nodeSpan(n) };
  }

  private value(n: CstNode | undefined): A.Value | undefined {
    if (!n) return undefined;
    const lit = this.literal(this.node(n, "literal"));
    if (lit) return lit;
    const l = this.node(n, "listLiteral");
    if (l) return this.list(l);
    const ref = this.tok(n, "ref");
    return ref ? { kind: "ref", name: ref.image, span: this.tokSpan(ref) } : undefined;
  }

  // ---- expressions ----
  /** `a and b or c and d`: `and` binds tighter than `or`; operators come in source order. */
  expr(n: CstNode | undefined): A.Expr | undefined {
    if (!n) return undefined;
    const operands = this.nodes(n, "operands").map((c) => this.comparison(c));
    if (operands.length === 0 || operands.some((o) => o === undefined)) return undefined;
    const ops = this.toks(n, "ops").sort((x, y) => x.startOffset - y.startOffset);
    if (ops.length !== operands.length - 1) return undefined; // recovery left the chain incomplete
    const groups: A.Expr[][] = [[operands[0]!]];
    ops.forEach((op, i) => {
      if (op.image === "or") groups.push([operands[i + 1]!]);
      else groups[groups.length - 1]!.push(operands[i + 1]!);
    });
    const ands = groups.map((g): A.Expr => (g.length === 1 ? g[0]! : { kind: "and", operands: g, span: joinSpans(g[0]!.span, g[g.length - 1]!.span) }));
    return ands.length === 1 ? ands[0] : { kind: "or", operands: ands, span: this.nodeSpan(n) };
  }
  private comparison(n: CstNode): A.Expr | undefined {
    const left = this.defaulted(this.operand(this.node(n, "left")), n, "leftDefault", "leftDefaultValue");
    if (!left) return undefined;
    let e: A.Expr = left;
    const detector = this.tok(n, "detector");
    const label = this.tok(n, "label");
    if (this.tok(n, "carries") && detector) e = { kind: "carries", value: left, detector: { text: detector.image, span: this.tokSpan(detector) }, span: joinSpans(left.span, this.tokSpan(detector)) };
    else if (this.tok(n, "derives") && label) e = { kind: "derives", value: left, label: { text: label.image, span: this.tokSpan(label) }, span: joinSpans(left.span, this.tokSpan(label)) };
    const opTok = this.tok(n, "op");
    if (opTok) {
      const re = this.tok(n, "regex");
      const right: A.Expr | undefined = re ? { kind: "regex", pattern: regexText(re.image), span: this.tokSpan(re) } : this.defaulted(this.operand(this.node(n, "right")), n, "rightDefault", "rightDefaultValue");
      if (!right) return undefined;
      const op = (this.tok(n, "negate") ? "not in" : opTok.image) as A.CompareOp;
      e =
        left.kind === "anyPathArg" && left.op === undefined
          ? { kind: "anyPathArg", op, right, span: joinSpans(left.span, right.span) }
          : { kind: "compare", op, left, right, span: joinSpans(left.span, right.span) };
    }
    const nots = this.toks(n, "nots");
    for (let i = nots.length - 1; i >= 0; i--) {
      e = { kind: "not", operand: e, span: joinSpans(this.tokSpan(nots[i]!), e.span) };
    }
    return e;
  }
  /** `operand ?? value` when the comparison carries one on that side (undefined when recovery left it broken). */
  private defaulted(e: A.Expr | undefined, n: CstNode, tokKey: string, valueKey: string): A.Expr | undefined {
    if (!e || !this.tok(n, tokKey)) return e;
    const v = this.value(this.node(n, valueKey));
    return v ? { kind: "default", left: e, value: v, span: joinSpans(e.span, v.span) } : undefined;
  }
  private operand(n: CstNode | undefined): A.Expr | undefined {
    if (!n) return undefined;
    const lit = this.tok(n, "literal");
    if (lit) {
      switch (lit.tokenType.name) {
        case "StringLiteral":
          return { kind: "string", value: this.str(lit), span: this.tokSpan(lit) };
        case "NumberLiteral":
          return { kind: "number", value: Number(lit.image), span: this.tokSpan(lit) };
        default:
          return { kind: "boolean", value: lit.image === "true", span: this.tokSpan(lit) };
      }
    }
    const l = this.node(n, "listLiteral");
    if (l) return this.list(l);
    const words = this.toks(n, "anyPathArg");
    if (words.length === 3) return { kind: "anyPathArg", span: joinSpans(this.tokSpan(words[0]!), this.tokSpan(words[2]!)) };
    const has = this.node(n, "has");
    if (has) {
      const p = this.path(has);
      return p ? { kind: "has", path: p, span: this.nodeSpan(n) } : undefined;
    }
    const hist = this.node(n, "history");
    if (hist) return this.history(hist);
    const p = this.node(n, "path");
    if (p) return this.path(p);
    const e = this.node(n, "expression");
    return e ? this.expr(e) : undefined;
  }
  path(n: CstNode): A.PathExpr | undefined {
    const root = this.tok(n, "root");
    if (!root) return undefined;
    const segToks = this.toks(n, "segment").sort((x, y) => x.startOffset - y.startOffset);
    const segments = segToks.map((t) => (t.tokenType.name === "StringLiteral" ? this.str(t) : t.image));
    // A call belongs to the last segment before it.
    const calls: A.PathCall[] = this.toks(n, "callArg").map((t) => ({ at: segToks.filter((s) => s.startOffset < t.startOffset).length - 1, arg: this.str(t), argSpan: this.tokSpan(t) }));
    return { kind: "path", root: root.image, segments, ...(calls.length > 0 && { calls }), span: this.nodeSpan(n) };
  }

  // ---- history (grammar/README.md "History"; the checker reads the words: check/history.ts) ----
  private history(n: CstNode): A.HistoryExpr | undefined {
    const op = this.tok(n, "op");
    const m = this.node(n, "match");
    const match = m && this.eventMatch(m);
    if (!op || !match) return undefined;
    let h: A.HistoryExpr = { kind: "history", op: op.image as A.HistoryOp, match, span: this.nodeSpan(n) };
    const ofNode = this.node(n, "of");
    if (ofNode) {
      const p = this.path(ofNode);
      if (!p) return undefined;
      h = { ...h, path: p };
    }
    const s = this.node(n, "since");
    if (s) {
      const since = this.eventMatch(s);
      if (!since) return undefined;
      h = { ...h, since };
    }
    const wv = this.tok(n, "withinValue");
    const wu = this.tok(n, "withinUnit");
    if (this.toks(n, "Within").length > 0) {
      if (!wv || !wu) return undefined;
      h = { ...h, within: { value: Number(wv.image), unit: this.wordName(wu)!, span: joinSpans(this.tokSpan(wv), this.tokSpan(wu)) } };
    }
    return h;
  }
  private eventMatch(n: CstNode): A.EventMatch | undefined {
    const names = this.toks(n, "pattern").map((p) =>
      p.tokenType.name === "StringLiteral" ? { text: this.str(p), quoted: true, span: this.tokSpan(p) } : { text: p.image, quoted: false, span: this.tokSpan(p) },
    );
    if (names.length === 0) return undefined;
    const kind = this.tok(n, "kind");
    let m: A.EventMatch = { names, span: this.nodeSpan(n) };
    if (kind) m = { ...m, kind: this.wordName(kind)! };
    if (this.toks(n, "Where").length > 0) {
      const where = this.expr(this.node(n, "where"));
      if (!where) return undefined;
      m = { ...m, where };
    }
    return m;
  }
  private sessionDecl(n: CstNode): A.SessionDecl | undefined {
    const [ev, word, forWord, ttl, unit] = [this.tok(n, "events"), this.tok(n, "eventsWord"), this.tok(n, "forWord"), this.tok(n, "ttl"), this.tok(n, "unit")];
    if (!ev || !word || !forWord || !ttl || !unit) return undefined;
    if (word.image !== "events" && word.image !== "event") {
      this.diagnostics.push(syntaxError(this.tokSpan(word), `expected \`events\` after the number of events, found \`${word.image}\``, "write `session retain 1000 events for 24 hours`"));
      return undefined;
    }
    if (forWord.image !== "for") {
      this.diagnostics.push(syntaxError(this.tokSpan(forWord), `expected \`for\` before the retention time, found \`${forWord.image}\``, "write `session retain 1000 events for 24 hours`"));
      return undefined;
    }
    return {
      kind: "session",
      events: { value: Number(ev.image), span: this.tokSpan(ev) },
      ttl: { value: Number(ttl.image), unit: this.wordName(unit)!, span: joinSpans(this.tokSpan(ttl), this.tokSpan(unit)) },
      span: this.nodeSpan(n),
    };
  }

  private limitKey(n: CstNode): A.LimitKey | undefined {
    const root = this.tok(n, "root");
    if (!root) return undefined;
    const segments = this.toks(n, "segment").sort((x, y) => x.startOffset - y.startOffset).map((t) => (t.tokenType.name === "StringLiteral" ? this.str(t) : t.image));
    return { root: this.wordName(root)!, segments, span: this.nodeSpan(n) };
  }
}

/** The pattern of a `re"..."` token: the text between the quotes, each `\"` read as `"`, every other backslash kept. */
function regexText(image: string): string {
  return image.slice(3, -1).replace(/\\(.)/gs, (m, c: string) => (c === '"' ? '"' : m));
}
