/**
 * The grammar: a chevrotain CstParser with no semantic actions (the CST is turned into the AST
 * by `cst-to-ast.ts`). Error recovery is on, so one run reports several syntax errors (its follow
 * sets are computed on the first syntax error: `lazyFollows`).
 * Built lazily: `policyParser()` makes one instance on the first parse and reuses it, with chevrotain's
 * grammar validations skipped (they cost start-up time and only ever find mistakes in this file) and
 * each lookahead function computed on first use (LazyLookahead below);
 * `buildPolicyParser({ validate: true })` runs them, and test/grammar-validation.test.ts does so, so a
 * grammar mistake still fails CI. Skipping them changes nothing for a valid grammar: the same
 * lookahead functions are computed either way.
 */
import type { CstNode, ILookaheadStrategy, IToken } from "chevrotain";
import { CstParser, LLkLookaheadStrategy, tokenMatcher } from "./chevrotain.js";
import * as T from "./tokens.js";
import { rulesFromRecord } from "./recorded-grammar.js";
import { recordedGrammar } from "./recorded-grammar-data.js";

const MAX_LOOKAHEAD = 3;
type OrOptions = Parameters<ILookaheadStrategy["buildLookaheadForAlternation"]>[0];
type OrLookahead = ReturnType<ILookaheadStrategy["buildLookaheadForAlternation"]>;
type OptionalOptions = Parameters<ILookaheadStrategy["buildLookaheadForOptional"]>[0];
type OptionalLookahead = ReturnType<ILookaheadStrategy["buildLookaheadForOptional"]>;

/**
 * chevrotain's LL(k) lookahead, each decision's function computed the first time the parser reaches
 * that decision instead of for every OR / OPTION / MANY of the grammar in `performSelfAnalysis` (about
 * half of building the parser; a policy reaches a fraction of the decisions). The function is the one
 * chevrotain would have built up front, from the same inputs (the rule's recorded grammar, the
 * occurrence, the same k), so the parse is the same: test/grammar-validation.test.ts compares this
 * parser with an eagerly built, validated one on every shipped policy and on damaged text.
 */
class LazyLookahead extends LLkLookaheadStrategy {
  override buildLookaheadForAlternation(options: OrOptions): OrLookahead {
    let built: OrLookahead | undefined;
    const build = () => (built = super.buildLookaheadForAlternation(options));
    return function (this: unknown, orAlts: Parameters<OrLookahead>[0]) {
      return (built ?? build()).call(this, orAlts);
    };
  }

  override buildLookaheadForOptional(options: OptionalOptions): OptionalLookahead {
    let built: OptionalLookahead | undefined;
    const build = () => (built = super.buildLookaheadForOptional(options));
    return function (this: unknown) {
      return (built ?? build()).call(this);
    };
  }
}

class PolicyParser extends CstParser {
  /** Whether the grammar came from the shipped record (recorded-grammar-data.ts) instead of a recording run. */
  readonly fromRecord: boolean;

  constructor(validate: boolean, eagerFollows = validate) {
    // The validated parser (tests) keeps chevrotain's eager lookahead: the reference the lazy one is checked against.
    super(T.allTokens, {
      recoveryEnabled: eagerFollows,
      maxLookahead: MAX_LOOKAHEAD,
      nodeLocationTracking: "onlyOffset",
      skipValidations: !validate,
      ...(validate ? {} : { lookaheadStrategy: new LazyLookahead({ maxLookahead: MAX_LOOKAHEAD }) }),
    });
    this.fromRecord = !validate && startFromRecord(this);
    this.performSelfAnalysis();
    if (this.fromRecord) for (const k of RECORD_HOOKS) delete (this as unknown as Record<string, unknown>)[k];
    if (!eagerFollows) lazyFollows(this);
  }

  public policyFile = this.RULE("policyFile", () => {
    this.OPTION(() => this.SUBRULE(this.header));
    this.MANY(() => this.SUBRULE(this.declaration));
  });

  public header = this.RULE("header", () => {
    this.CONSUME(T.Policy);
    this.CONSUME(T.StringLiteral, { LABEL: "name" });
    this.OPTION(() => {
      this.CONSUME(T.Version);
      this.CONSUME2(T.StringLiteral, { LABEL: "version" });
    });
  });

  public declaration = this.RULE("declaration", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.defaultDecl) },
      { ALT: () => this.SUBRULE(this.importDecl) },
      { ALT: () => this.SUBRULE(this.constDecl) },
      { ALT: () => this.SUBRULE(this.setDecl) },
      { ALT: () => this.SUBRULE(this.roleDecl) },
      { ALT: () => this.SUBRULE(this.toolDecl) },
      { ALT: () => this.SUBRULE(this.rule) },
      { ALT: () => this.SUBRULE(this.limitDecl) },
      { ALT: () => this.SUBRULE(this.auditDecl) },
      { ALT: () => this.SUBRULE(this.serverDecl) },
      { ALT: () => this.SUBRULE(this.misplacedHeader) },
      { ALT: () => this.SUBRULE(this.modeDecl) },
      // `result of tool ... { ... }` (issue 14): two soft words, so `result` stays a name everywhere else.
      { GATE: () => this.LA(2).image === "of", ALT: () => this.SUBRULE(this.resultDecl) },
      // `session retain ...`: soft words, read only together (a role or tool may be called `session`).
      { GATE: () => this.LA(2).image === "retain", ALT: () => this.SUBRULE(this.sessionDecl) },
    ]);
  });

  /** `session retain N events for N UNIT` (the checker reads the words `events` and the unit). */
  public sessionDecl = this.RULE("sessionDecl", () => {
    this.CONSUME(T.Session);
    this.CONSUME2(T.Identifier, { LABEL: "retain" });
    this.CONSUME(T.NumberLiteral, { LABEL: "events" });
    this.CONSUME3(T.Identifier, { LABEL: "eventsWord" });
    this.CONSUME4(T.Identifier, { LABEL: "forWord" });
    this.CONSUME2(T.NumberLiteral, { LABEL: "ttl" });
    this.CONSUME5(T.Identifier, { LABEL: "unit" });
  });

  /** `mode shadow` / `mode enforce`: whether hosts enforce the decisions (the checker reads the word). */
  public modeDecl = this.RULE("modeDecl", () => {
    this.CONSUME(T.Mode);
    this.CONSUME(T.AnyWord, { LABEL: "mode" });
  });

  /** A second `policy` header: parsed so the checker can report it in plain words. */
  public misplacedHeader = this.RULE("misplacedHeader", () => {
    this.SUBRULE(this.header);
  });

  public defaultDecl = this.RULE("defaultDecl", () => {
    this.CONSUME(T.Default);
    this.OR([{ ALT: () => this.CONSUME(T.Allow) }, { ALT: () => this.CONSUME(T.Deny) }]);
  });

  public importDecl = this.RULE("importDecl", () => {
    this.CONSUME(T.Import);
    this.CONSUME(T.StringLiteral);
  });

  public constDecl = this.RULE("constDecl", () => {
    this.CONSUME(T.Const);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.literal);
  });

  public setDecl = this.RULE("setDecl", () => {
    this.CONSUME(T.SetKw);
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.CONSUME(T.Colon);
    this.CONSUME(T.AnyWord, { LABEL: "kind" });
    this.CONSUME(T.Equals);
    this.SUBRULE(this.listLiteral);
  });

  public roleDecl = this.RULE("roleDecl", () => {
    this.CONSUME(T.Role);
    this.SUBRULE(this.name);
    this.OPTION(() => {
      this.CONSUME(T.Includes);
      this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE2(this.name, { LABEL: "included" }) });
    });
    this.CONSUME(T.LBrace);
    this.MANY(() =>
      this.OR([
        { ALT: () => this.SUBRULE(this.memberDecl) },
        { ALT: () => this.SUBRULE(this.rule) },
        { ALT: () => this.SUBRULE(this.limitDecl) },
      ]),
    );
    this.CONSUME(T.RBrace);
  });

  public name = this.RULE("name", () => {
    this.OR([{ ALT: () => this.CONSUME(T.Identifier) }, { ALT: () => this.CONSUME(T.StringLiteral) }]);
  });

  public memberDecl = this.RULE("memberDecl", () => {
    this.CONSUME(T.Member);
    this.CONSUME(T.When);
    this.SUBRULE(this.expression);
  });

  public rule = this.RULE("rule", () => {
    this.OR([{ ALT: () => this.CONSUME(T.Allow) }, { ALT: () => this.CONSUME(T.Deny) }]);
    // Named rules (issue 11): an optional name right after the effect, `deny "no-push-to-main" tool ...`.
    this.OPTION4(() => this.CONSUME3(T.StringLiteral, { LABEL: "ruleName" }));
    // The target, inline (one CST node fewer per rule).
    this.OR2([
      { ALT: () => this.CONSUME(T.Tool, { LABEL: "targetKind" }) },
      { ALT: () => this.CONSUME(T.Resource, { LABEL: "targetKind" }) },
      { ALT: () => this.CONSUME(T.Prompt, { LABEL: "targetKind" }) },
    ]);
    this.AT_LEAST_ONE_SEP({
      SEP: T.Comma,
      DEF: () => this.OR3([{ ALT: () => this.CONSUME(T.Identifier, { LABEL: "pattern" }) }, { ALT: () => this.CONSUME2(T.StringLiteral, { LABEL: "pattern" }) }]),
    });
    this.OPTION(() => {
      this.CONSUME(T.When);
      this.SUBRULE(this.expression, { LABEL: "when" });
    });
    this.OPTION2(() => {
      this.CONSUME(T.Unless);
      this.SUBRULE2(this.expression, { LABEL: "unless" });
    });
    this.OPTION3(() => {
      this.CONSUME(T.Because);
      this.CONSUME(T.StringLiteral, { LABEL: "because" });
    });
  });

  /**
   * `result of tool NAMES [when EXPR] { label L [when E] | redact D, ... | cap N bytes | deny ["name"] [when E] [because "..."] }`
   * (issue 14): what a tool's (resource's, prompt's) result does to the session and what of it the client
   * may see. `result`, `of`, `label`, `cap` and `bytes` are soft words (Identifiers read by their image).
   */
  public resultDecl = this.RULE("resultDecl", () => {
    this.CONSUME(T.Result, { LABEL: "resultWord" });
    this.CONSUME2(T.Identifier, { LABEL: "ofWord" });
    this.OR([
      { ALT: () => this.CONSUME(T.Tool, { LABEL: "targetKind" }) },
      { ALT: () => this.CONSUME(T.Resource, { LABEL: "targetKind" }) },
      { ALT: () => this.CONSUME(T.Prompt, { LABEL: "targetKind" }) },
    ]);
    this.AT_LEAST_ONE_SEP({
      SEP: T.Comma,
      DEF: () => this.OR2([{ ALT: () => this.CONSUME3(T.Identifier, { LABEL: "pattern" }) }, { ALT: () => this.CONSUME(T.StringLiteral, { LABEL: "pattern" }) }]),
    });
    this.OPTION(() => {
      this.CONSUME(T.When);
      this.SUBRULE(this.expression, { LABEL: "when" });
    });
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.resultItem, { LABEL: "items" }));
    this.CONSUME(T.RBrace);
  });

  public resultItem = this.RULE("resultItem", () => {
    this.OR([
      {
        GATE: () => this.LA(1).image === "label",
        ALT: () => {
          this.CONSUME(T.Identifier, { LABEL: "labelWord" });
          this.CONSUME(T.AnyWord, { LABEL: "label" });
          // A field label: `label L on item.F for item in result.P [where EXPR]`, or `label L on result.P`.
          this.OPTION5({
            GATE: () => this.LA(1).image === "on",
            DEF: () => {
              this.CONSUME4(T.Identifier, { LABEL: "onWord" });
              this.SUBRULE(this.path, { LABEL: "fieldPath" });
              this.OPTION6({
                GATE: () => this.LA(1).image === "for",
                DEF: () => {
                  this.CONSUME5(T.Identifier, { LABEL: "forWord" });
                  this.CONSUME6(T.Identifier, { LABEL: "itemWord" });
                  this.CONSUME(T.In);
                  this.SUBRULE2(this.path, { LABEL: "collection" });
                },
              });
              this.OPTION7(() => {
                this.CONSUME(T.Where);
                this.SUBRULE3(this.expression, { LABEL: "where" });
              });
            },
          });
          this.OPTION(() => {
            this.CONSUME(T.When);
            this.SUBRULE(this.expression, { LABEL: "when" });
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Redact, { LABEL: "redactWord" });
          this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.CONSUME2(T.AnyWord, { LABEL: "detector" }) });
        },
      },
      {
        GATE: () => this.LA(1).image === "cap",
        ALT: () => {
          this.CONSUME2(T.Identifier, { LABEL: "capWord" });
          this.CONSUME(T.NumberLiteral, { LABEL: "capBytes" });
          this.CONSUME3(T.Identifier, { LABEL: "bytesWord" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Deny, { LABEL: "denyWord" });
          this.OPTION2(() => this.CONSUME(T.StringLiteral, { LABEL: "denyName" }));
          this.OPTION3(() => {
            this.CONSUME2(T.When);
            this.SUBRULE2(this.expression, { LABEL: "denyWhen" });
          });
          this.OPTION4(() => {
            this.CONSUME(T.Because);
            this.CONSUME2(T.StringLiteral, { LABEL: "because" });
          });
        },
      },
    ]);
  });

  public toolDecl = this.RULE("toolDecl", () => {
    this.CONSUME(T.Tool);
    this.SUBRULE(this.name);
    this.CONSUME(T.LBrace);
    this.MANY(() =>
      this.OR([
        { ALT: () => this.SUBRULE(this.riskDecl) },
        { ALT: () => this.SUBRULE(this.approvalDecl) },
        { ALT: () => this.SUBRULE(this.argsDecl) },
        { ALT: () => this.SUBRULE(this.limitDecl) },
      ]),
    );
    this.CONSUME(T.RBrace);
  });

  /** `server "NAME" { ... }`: denies, tool blocks and limits scoped to one upstream server. */
  public serverDecl = this.RULE("serverDecl", () => {
    this.CONSUME(T.Server);
    this.SUBRULE(this.name);
    this.CONSUME(T.LBrace);
    this.MANY(() =>
      this.OR([
        { ALT: () => this.SUBRULE(this.rule) },
        { ALT: () => this.SUBRULE(this.toolDecl) },
        { ALT: () => this.SUBRULE(this.limitDecl) },
      ]),
    );
    this.CONSUME(T.RBrace);
  });

  public riskDecl = this.RULE("riskDecl", () => {
    this.CONSUME(T.Risk);
    this.CONSUME(T.Identifier);
  });

  public approvalDecl = this.RULE("approvalDecl", () => {
    this.CONSUME(T.Approval);
    this.CONSUME(T.Identifier, { LABEL: "required" });
    this.OPTION(() => {
      this.CONSUME(T.When);
      this.SUBRULE(this.expression);
    });
    // Who may approve; more than one `by` is parsed so the checker can report it in plain words.
    this.MANY(() => this.SUBRULE(this.approversDecl));
  });

  /** `by caller`, `by others`, `by role R1, R2` (the checker reads the word after `by`). */
  public approversDecl = this.RULE("approversDecl", () => {
    this.CONSUME(T.By);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Role, { LABEL: "who" });
          this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.name, { LABEL: "role" }) });
        },
      },
      { ALT: () => this.CONSUME(T.Identifier, { LABEL: "who" }) },
    ]);
  });

  public argsDecl = this.RULE("argsDecl", () => {
    this.CONSUME(T.Args);
    this.SUBRULE(this.typeExpr);
  });

  public objectType = this.RULE("objectType", () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.OR([{ ALT: () => this.SUBRULE(this.field) }, { ALT: () => this.CONSUME(T.Ellipsis) }]);
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RBrace);
  });

  public field = this.RULE("field", () => {
    this.OR([{ ALT: () => this.CONSUME(T.AnyWord, { LABEL: "fieldName" }) }, { ALT: () => this.CONSUME(T.StringLiteral, { LABEL: "fieldName" }) }]);
    this.OPTION(() => this.CONSUME(T.Question));
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeExpr);
  });

  public typeExpr = this.RULE("typeExpr", () => {
    this.AT_LEAST_ONE_SEP({ SEP: T.Pipe, DEF: () => this.SUBRULE(this.typeAtom) });
  });

  public typeAtom = this.RULE("typeAtom", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.objectType) },
      {
        ALT: () => {
          this.CONSUME(T.Identifier);
          this.OPTION(() => {
            this.CONSUME(T.LParen);
            this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.typeArg) });
            this.CONSUME(T.RParen);
          });
        },
      },
    ]);
  });

  public typeArg = this.RULE("typeArg", () => {
    this.OR([
      {
        GATE: () => this.LA(2).tokenType === T.Colon,
        ALT: () => {
          this.CONSUME(T.AnyWord, { LABEL: "paramName" });
          this.CONSUME(T.Colon);
          this.SUBRULE(this.value);
        },
      },
      { ALT: () => this.SUBRULE(this.literal) },
      { ALT: () => this.SUBRULE(this.typeExpr) },
    ]);
  });

  public limitDecl = this.RULE("limitDecl", () => {
    this.CONSUME(T.Limit);
    this.CONSUME(T.Identifier, { LABEL: "kind" });
    this.OPTION(() => this.CONSUME(T.NumberLiteral, { LABEL: "amount" }));
    this.MANY(() => this.SUBRULE(this.limitClause));
  });

  public limitClause = this.RULE("limitClause", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Identifier, { LABEL: "amountName" });
          this.CONSUME(T.NumberLiteral, { LABEL: "namedAmount" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Per);
          this.OPTION(() => this.CONSUME3(T.NumberLiteral, { LABEL: "windowCount" }));
          this.CONSUME2(T.Identifier, { LABEL: "window" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Burst);
          this.CONSUME2(T.NumberLiteral, { LABEL: "burst" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.By);
          // `by principal, tool`: the commas belong to the key list (a limit is never followed by a comma).
          this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.limitKey, { LABEL: "keys" }) });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Fail);
          this.CONSUME4(T.Identifier, { LABEL: "failMode" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.From);
          this.SUBRULE(this.path, { LABEL: "from" });
        },
      },
    ]);
  });

  /** A budget key: a word (`principal`, `tool`, `server`) or an attribute path (`principal.claims.tenant`). */
  public limitKey = this.RULE("limitKey", () => {
    this.CONSUME(T.AnyWord, { LABEL: "root" });
    this.MANY(() =>
      this.OR([
        {
          ALT: () => {
            this.CONSUME(T.Dot);
            this.CONSUME2(T.AnyWord, { LABEL: "segment" });
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.LBracket);
            this.CONSUME(T.StringLiteral, { LABEL: "segment" });
            this.CONSUME(T.RBracket);
          },
        },
      ]),
    );
  });

  public auditDecl = this.RULE("auditDecl", () => {
    this.CONSUME(T.Audit);
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.CONSUME(T.Redact);
      this.AT_LEAST_ONE_SEP({
        SEP: T.Comma,
        DEF: () =>
          this.OR([{ ALT: () => this.CONSUME(T.AnyWord, { LABEL: "key" }) }, { ALT: () => this.CONSUME(T.StringLiteral, { LABEL: "key" }) }]),
      });
    });
    this.CONSUME(T.RBrace);
  });

  // ---- expressions ----
  // Flat on purpose: `and`/`or` chains are one rule (precedence is applied when building the AST) and
  // `not` is a prefix of a comparison, so a typical condition costs few CST nodes.
  public expression = this.RULE("expression", () => {
    this.SUBRULE(this.comparison, { LABEL: "operands" });
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(T.And, { LABEL: "ops" }) }, { ALT: () => this.CONSUME(T.Or, { LABEL: "ops" }) }]);
      this.SUBRULE2(this.comparison, { LABEL: "operands" });
    });
  });

  public comparison = this.RULE("comparison", () => {
    this.MANY(() => this.CONSUME(T.Not, { LABEL: "nots" }));
    this.SUBRULE(this.operand, { LABEL: "left" });
    // `PATH ?? VALUE` binds tighter than the comparison (inline: no CST node of its own).
    this.OPTION4(() => {
      this.CONSUME(T.QuestionQuestion, { LABEL: "leftDefault" });
      this.SUBRULE(this.value, { LABEL: "leftDefaultValue" });
    });
    this.OR3([
      // `VALUE carries DETECTOR`, `VALUE derives from LABEL` (issue 14): soft words.
      {
        GATE: () => this.LA(1).image === "carries",
        IGNORE_AMBIGUITIES: true,
        ALT: () => {
          this.CONSUME(T.Identifier, { LABEL: "carries" });
          this.CONSUME(T.AnyWord, { LABEL: "detector" });
        },
      },
      {
        GATE: () => this.LA(1).image === "derives" && this.LA(2).tokenType === T.From,
        IGNORE_AMBIGUITIES: true,
        ALT: () => {
          this.CONSUME2(T.Identifier, { LABEL: "derives" });
          this.CONSUME(T.From);
          this.CONSUME2(T.AnyWord, { LABEL: "label" });
        },
      },
      // The ordinary comparison operators, or none (this alternative may be empty: it comes last).
      {
        ALT: () =>
          this.OPTION(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.EqEq, { LABEL: "op" }) },
        { ALT: () => this.CONSUME(T.NotEq, { LABEL: "op" }) },
        { ALT: () => this.CONSUME(T.LtEq, { LABEL: "op" }) },
        { ALT: () => this.CONSUME(T.GtEq, { LABEL: "op" }) },
        { ALT: () => this.CONSUME(T.Lt, { LABEL: "op" }) },
        { ALT: () => this.CONSUME(T.Gt, { LABEL: "op" }) },
        { ALT: () => this.CONSUME(T.In, { LABEL: "op" }) },
        {
          ALT: () => {
            this.CONSUME2(T.Not, { LABEL: "negate" });
            this.CONSUME2(T.In, { LABEL: "op" });
          },
        },
        { ALT: () => this.CONSUME(T.Contains, { LABEL: "op" }) },
        { ALT: () => this.CONSUME(T.Matches, { LABEL: "op" }) },
      ]);
      this.OR2([
        // `matches re"..."`: the checker refuses a regex literal after any other operator.
        { ALT: () => this.CONSUME(T.RegexLiteral, { LABEL: "regex" }) },
        {
          ALT: () => {
            this.SUBRULE2(this.operand, { LABEL: "right" });
            this.OPTION5(() => {
              this.CONSUME2(T.QuestionQuestion, { LABEL: "rightDefault" });
              this.SUBRULE2(this.value, { LABEL: "rightDefaultValue" });
            });
          },
        },
      ]);
          }),
      },
    ]);
  });

  public operand = this.RULE("operand", () => {
    this.OR([
      // `any path arg`: three soft words (not keywords: `any` is also a type name), read only together.
      {
        GATE: () => this.LA(1).image === "any" && this.LA(2).image === "path" && this.LA(3).image === "arg",
        IGNORE_AMBIGUITIES: true,
        ALT: () => {
          this.CONSUME(T.Identifier, { LABEL: "anyPathArg" });
          this.CONSUME2(T.Identifier, { LABEL: "anyPathArg" });
          this.CONSUME3(T.Identifier, { LABEL: "anyPathArg" });
        },
      },
      // A history predicate (`after completed tool x`, `sum event.args.n of ...`): soft words, see `historyAhead`.
      { GATE: () => this.historyAhead(), IGNORE_AMBIGUITIES: true, ALT: () => this.SUBRULE(this.history) },
      { ALT: () => this.CONSUME(T.StringLiteral, { LABEL: "literal" }) },
      { ALT: () => this.CONSUME(T.NumberLiteral, { LABEL: "literal" }) },
      { ALT: () => this.CONSUME(T.True, { LABEL: "literal" }) },
      { ALT: () => this.CONSUME(T.False, { LABEL: "literal" }) },
      { ALT: () => this.SUBRULE(this.listLiteral) },
      {
        ALT: () => {
          this.CONSUME(T.Has);
          this.SUBRULE(this.path, { LABEL: "has" });
        },
      },
      { ALT: () => this.SUBRULE2(this.path) },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.expression);
          this.CONSUME(T.RParen);
        },
      },
    ]);
  });

  /**
   * Whether a history predicate starts here. Its first word is read by image, never lexed as a keyword,
   * so every existing use of `count`, `max`, `after`, ... as a name parses as before: `after|no|previous|count`
   * count only when followed by a word and `tool` (or by `tool` and a name that is not a tool block's
   * `{`), `sum|min|max` only when followed by a dotted path.
   */
  private historyAhead(): boolean {
    const first = this.LA(1);
    if (first.tokenType !== T.Identifier) return false;
    const w = first.image;
    if (w === "sum" || w === "min" || w === "max") return this.LA(3).tokenType === T.Dot && tokenMatcher(this.LA(2), T.AnyWord);
    if (w !== "after" && w !== "no" && w !== "previous" && w !== "count") return false;
    const two = this.LA(2).tokenType;
    if (two === T.Tool) return this.LA(4).tokenType !== T.LBrace;
    return (two === T.Identifier || tokenMatcher(this.LA(2), T.Identifier)) && this.LA(3).tokenType === T.Tool;
  }

  /** `after|no|previous|count MATCH [since MATCH] [within N UNIT]`, `sum|min|max PATH of MATCH [within N UNIT]` (the checker reads the words). */
  public history = this.RULE("history", () => {
    const op = this.CONSUME(T.Identifier, { LABEL: "op" });
    this.OPTION({
      GATE: () => op.image === "sum" || op.image === "min" || op.image === "max",
      DEF: () => {
        this.SUBRULE(this.path, { LABEL: "of" });
        this.CONSUME(T.Of);
      },
    });
    this.SUBRULE(this.eventMatch, { LABEL: "match" });
    this.OPTION2(() => {
      this.CONSUME(T.Since);
      this.SUBRULE2(this.eventMatch, { LABEL: "since" });
    });
    this.OPTION3(() => {
      this.CONSUME(T.Within);
      this.CONSUME(T.NumberLiteral, { LABEL: "withinValue" });
      this.CONSUME2(T.Identifier, { LABEL: "withinUnit" });
    });
  });

  /** `[KIND] tool NAMES [where EXPR]`: the events a history predicate looks at. */
  public eventMatch = this.RULE("eventMatch", () => {
    this.OPTION(() => this.CONSUME(T.Identifier, { LABEL: "kind" }));
    this.CONSUME(T.Tool);
    this.AT_LEAST_ONE_SEP({
      SEP: T.Comma,
      DEF: () => this.OR([{ ALT: () => this.CONSUME2(T.Identifier, { LABEL: "pattern" }) }, { ALT: () => this.CONSUME(T.StringLiteral, { LABEL: "pattern" }) }]),
    });
    this.OPTION2(() => {
      this.CONSUME(T.Where);
      this.SUBRULE(this.expression, { LABEL: "where" });
    });
  });

  public path = this.RULE("path", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Identifier, { LABEL: "root" }) },
      { ALT: () => this.CONSUME(T.Tool, { LABEL: "root" }) },
      { ALT: () => this.CONSUME(T.Resource, { LABEL: "root" }) },
      { ALT: () => this.CONSUME(T.Args, { LABEL: "root" }) },
      { ALT: () => this.CONSUME(T.Server, { LABEL: "root" }) },
    ]);
    this.MANY(() =>
      this.OR2([
        {
          ALT: () => {
            this.CONSUME(T.Dot);
            this.CONSUME(T.AnyWord, { LABEL: "segment" });
            // `time.in("Europe/Berlin")`: a segment called with a string (the checker says which calls exist).
            this.OPTION(() => {
              this.CONSUME(T.LParen);
              this.CONSUME2(T.StringLiteral, { LABEL: "callArg" });
              this.CONSUME(T.RParen);
            });
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.LBracket);
            this.CONSUME(T.StringLiteral, { LABEL: "segment" });
            this.CONSUME(T.RBracket);
          },
        },
      ]),
    );
  });

  public value = this.RULE("value", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.literal) },
      { ALT: () => this.SUBRULE(this.listLiteral) },
      { ALT: () => this.CONSUME(T.Identifier, { LABEL: "ref" }) },
    ]);
  });

  public listLiteral = this.RULE("listLiteral", () => {
    this.CONSUME(T.LBracket);
    this.MANY(() => {
      this.SUBRULE(this.value, { LABEL: "items" });
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RBracket);
  });

  public literal = this.RULE("literal", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
    ]);
  });
}

export type { PolicyParser };

/** A new parser; `validate: true` runs chevrotain's grammar validations (it throws on a grammar mistake). */
export function buildPolicyParser(options: { validate: boolean }): PolicyParser {
  return new PolicyParser(options.validate);
}

/**
 * Error recovery with its follow sets computed on first use: chevrotain computes them for every rule in
 * `performSelfAnalysis` when recovery is on (a tenth of a cold `check`), yet only a text with a syntax
 * error reads them. The parser is built with recovery off (so none are computed), then recovery is
 * turned on and `resyncFollows` answers the sets of a parser built with recovery on, made the first
 * time one is read: the same grammar gives the same sets under the same keys, so recovery, and every
 * diagnostic, is what it was (test/grammar-validation.test.ts compares both on damaged text).
 */
function lazyFollows(parser: PolicyParser): void {
  let follows: unknown;
  Object.defineProperty(parser, "resyncFollows", {
    get: () => (follows ??= (new PolicyParser(false, true) as unknown as { resyncFollows: unknown }).resyncFollows),
    configurable: true,
  });
  const p = parser as unknown as { recoveryEnabled: boolean; attemptInRepetitionRecovery: unknown };
  p.recoveryEnabled = true;
  // What chevrotain's constructor installs when recovery is on (its own function, not exported): taken
  // from a one-rule parser built with recovery on, which costs next to nothing.
  p.attemptInRepetitionRecovery = (new RecoveryProbe() as unknown as { attemptInRepetitionRecovery: unknown }).attemptInRepetitionRecovery;
}

/**
 * Makes `performSelfAnalysis` take each rule's recorded grammar from recordedGrammar() (fresh objects)
 * instead of running the rule in recording mode, when the record names exactly this parser's rules; else
 * changes nothing (the parser records itself). True when it took effect. The record is checked against
 * a fresh recording by test/grammar-validation.test.ts.
 */
function startFromRecord(parser: PolicyParser): boolean {
  const p = parser as unknown as {
    definedRulesNames: readonly string[];
    topLevelRuleRecord: (name: string, def: () => void) => object;
    enableRecording: () => void;
    disableRecording: () => void;
  };
  const rules = rulesFromRecord(recordedGrammar(), T.allTokens);
  if (rules === undefined || rules.size !== p.definedRulesNames.length || !p.definedRulesNames.every((n) => rules.has(n))) return false;
  // No rule runs in recording mode, so the recording DSL (about 90 methods installed on the parser, then
  // deleted one by one, a third of building it) is not installed. Own properties, deleted after the
  // analysis (RECORD_HOOKS), newest first.
  p.enableRecording = () => undefined;
  p.disableRecording = () => undefined;
  p.topLevelRuleRecord = (name: string) => {
    const rule = rules.get(name);
    if (rule === undefined) throw new Error(`the grammar record has no rule \`${name}\``);
    return rule;
  };
  return true;
}

/** The own properties `startFromRecord` sets, newest first. */
const RECORD_HOOKS = ["topLevelRuleRecord", "disableRecording", "enableRecording"] as const;

/**
 * A parser of no rule with recovery on: only its in-repetition recovery step is used, which chevrotain's
 * constructor installs (no self-analysis: it never parses).
 */
class RecoveryProbe extends CstParser {
  constructor() {
    super([T.Policy], { recoveryEnabled: true, skipValidations: true });
  }
}

let shared: PolicyParser | undefined;

/** The one parser every parse reuses, built on first use without the grammar validations. */
export function policyParser(): PolicyParser {
  return (shared ??= new PolicyParser(false));
}
export type { CstNode, IToken };
