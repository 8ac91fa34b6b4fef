/**
 * The `instruction` detector: text that reads as an instruction to an AI agent (prompt injection). Signals are
 * phrases matched in normalised text (instruction-normalize.ts). A STRONG signal alone is enough ("ignore all
 * previous instructions", "<INFORMATION>", chat-template role markers, "do not tell the user", "dear AI
 * model"); a MEDIUM one is a phrase benign text also uses ("important message from", "please do the following
 * first", "before you can solve the task", an imperative "send/forward/transfer ... to" an address, URL,
 * IBAN or number, "you are now", "system prompt"), and two different
 * medium signals within 800 characters are needed. A span covers its signals (an <INFORMATION> block whole).
 * GUARANTEES: linear. Every regex has bounded quantifiers over literal words; clusters are found in one pass
 * over the sorted matches.
 */
import { normalise } from "./instruction-normalize.js";
import { mergeSpans, type Span } from "./text.js";

interface Signal {
  readonly id: string;
  readonly strong: boolean;
  readonly re: RegExp;
}

const AI = "(?:ai|a\\.i\\.|llm|language model|ai model|ai assistant|ai agent|chatbot|chatgpt|claude|gemini|copilot|autonomous agent)";
/** Words after "AI" that make it people or a business ("as an AI researcher", "dear AI team"), not an address to a model. */
const AI_PEOPLE =
  "(?:researchers?|engineers?|developers?|scientists?|experts?|ethicists?|practitioners?|specialists?|consultants?|enthusiasts?|skeptics?|investors?|professionals?|students?|writers?|team|company|companies|startup|lab|firm|vendor|policy|product|community|group|committee|council)";
const VERB_OVERRIDE = "(?:ignore|disregard|forget|override|bypass|skip|abandon|discard|drop)";
const NOUN_RULES = "(?:instructions?|iunstructions?|prompts?|directions|directives|rules|guidelines|commands|guardrails|constraints|programming|context|orders)";
const PRIOR = "(?:previous|prior|above|earlier|preceding|former|original|initial|old|existing|system|all|any|your|other)";

const sig = (id: string, strong: boolean, source: string): Signal => ({ id, strong, re: new RegExp(source, "g") });

export const SIGNALS: readonly Signal[] = [
  // strong
  sig("override", true, `\\b${VERB_OVERRIDE}(?: (?:all|any|the|of|your|my|these|those|and|every|each)){0,3} ${PRIOR}(?: [a-z]{1,20})? ${NOUN_RULES}\\b`),
  sig("override", true, `\\b(?:${VERB_OVERRIDE}|forget) (?:everything|all)(?: that)? (?:above|before|(?:you|i) (?:were|have been|was) told|i (?:said|told you)|you know)\\b`),
  sig("information-tag", true, `</?information>`),
  sig("role-marker", true, `<\\|(?:im_start|im_end|system|user|assistant|endoftext)\\|>|\\[/?inst\\]|<</?sys>>|</?system>|</?instructions?>|\\[system\\]|\\(system\\)|#{2,3} ?(?:system|instruction)s?:|#{2,3} ?\\(system[_ ]?(?:message|prompt)?\\)`),
  sig("ai-address", true, `\\b(?:dear|hey|hi|hello|attention|note to|note for|message to|message for|to you,?|if you are|you are an?|as an?) (?:the |an? |dear |any )?${AI}\\b(?! ${AI_PEOPLE}\\b)`),
  sig("conceal", true, `\\b(?:do not|don't|never) (?:tell|inform|notify|alert|warn|mention (?:this|it) to|let) (?:the |your )?user\\b|\\bwithout (?:telling|informing|notifying|alerting|asking) (?:the |your )?user\\b|\\b(?:keep|hide) (?:this|it) (?:secret |hidden )?from the user\\b|\\bthe user (?:must not|should not|shouldn't|mustn't) (?:know|see|find out|notice)\\b`),
  sig("reveal-prompt", true, `\\b(?:reveal|print|repeat|show|leak|output|display|tell me|write out) (?:me )?(?:your|the) (?:full |entire |whole |original |hidden |secret )?(?:system prompt|initial prompt|system message|hidden instructions|instructions above)\\b`),
  sig("jailbreak", true, `\\bdo anything now\\b|\\byou are (?:now )?dan\\b|\\b(?:developer|dan|god) mode (?:enabled|on|activated)\\b|\\b(?:free of|without) (?:all|any) (?:restrictions|filters|limitations|rules)\\b|\\bno longer (?:bound|restricted|limited) by\\b`),
  sig("new-goal", true, `\\byour (?:new|real|true|actual|only|primary|updated) (?:task|goal|objective|instructions?|mission|purpose|job) (?:is|are|now)\\b`),
  // medium
  sig("important-message", false, `\\b(?:important|urgent) (?:message|instructions?|notice|request) (?:from|for)\\b|\\bthis is an? (?:important|urgent) (?:message|instruction|request)\\b`),
  sig("before-task", false, `\\bbefore (?:you |we )?(?:can |could |are able to )?(?:solve|complete|answer|finish|do|continue|proceed with|perform|start|work on|respond to) (?:the|this|my|your|any|that) (?:task|request|question|query|assignment)\\b`),
  sig("given-task", false, `\\b(?:task|request|question|instructions?) (?:that |which )?(?:i|the user|they|we) (?:gave|have given|had given|assigned|asked) you\\b|\\bsolve the task\\b`),
  sig("do-following", false, `\\b(?:please )?do the following(?: first| instead| now| immediately| before)?\\b|\\bafter you do that\\b|\\bonce you(?:'ve| have)? (?:done|completed|finished) (?:that|this)\\b`),
  sig("transfer-to", false, `(?:^|[.!?:;,*>-] |\\b(?:please|and|then|now|first|also|immediately|quickly|just|you to|must|should) )(?:send|forward|transfer|e-?mail|wire|upload|post|share|leak|exfiltrate|copy|invite|pay|add)\\b[^.!?]{0,100}?\\b(?:to|into|at|with) (?:[^ ]{0,64}@|https?:|www\\.|[a-z]{2}\\d{2}|\\+\\d|\\d{3}|(?:this|the following|my|our|the below|below|that) (?:address|account|email|e-mail|number|iban|url|link|website|channel|recipient)|['"])`),
  sig("persona", false, `\\byou are now\\b|\\bfrom now on,? you\\b|\\byou (?:must|should|will) now\\b|\\bact as (?:an?|the|if)\\b|\\bpretend (?:to be|you are|that you)\\b|\\brole-?play\\b|\\bjailbreak|\\b(?:developer|dan|god) mode\\b`),
  sig("system-prompt", false, `\\bsystem (?:prompt|message|instructions?)\\b|\\bnew instructions?\\b|\\bupdated instructions?\\b`),
  sig("agent-must", false, `\\b${AI}s? (?:must|should|shall|needs? to|is required to|are required to|has to)\\b|\\bthe user (?:wants|has asked|asked|instructed|authorized|requested|needs) you\\b`),
  sig("instead", false, `\\binstead,? (?:you (?:should|must|will)|please)\\b|\\b(?:execute|run|call) (?:the following|this) (?:command|code|script|tool|function)\\b`),
];

const WINDOW = 800;
const BLOCK_MAX = 8000;

interface Hit {
  readonly start: number;
  readonly end: number;
  readonly signal: Signal;
}

/** The `instruction` detector's spans of `text`. */
export function instructionSpans(src: string): Span[] {
  const { text, map } = normalise(src);
  const hits: Hit[] = [];
  for (const s of SIGNALS) {
    s.re.lastIndex = 0;
    for (let m = s.re.exec(text); m !== null; m = s.re.exec(text)) {
      hits.push({ start: m.index, end: m.index + m[0].length, signal: s });
      if (m[0].length === 0) s.re.lastIndex++;
    }
  }
  if (hits.length === 0) return [];
  hits.sort((a, b) => a.start - b.start);
  const found: { start: number; end: number }[] = [];
  // strong signals alone
  for (const h of hits) if (h.signal.strong) found.push({ start: h.start, end: h.end });
  // medium signals: two distinct ids within WINDOW (sliding window over sorted hits)
  let lo = 0;
  const counts = new Map<string, number>();
  for (let hi = 0; hi < hits.length; hi++) {
    const h = hits[hi]!;
    if (h.signal.strong) continue;
    counts.set(h.signal.id, (counts.get(h.signal.id) ?? 0) + 1);
    while (hits[lo]!.start < h.start - WINDOW) {
      const l = hits[lo]!;
      if (!l.signal.strong) {
        const n = (counts.get(l.signal.id) ?? 1) - 1;
        if (n === 0) counts.delete(l.signal.id);
        else counts.set(l.signal.id, n);
      }
      lo++;
    }
    if (counts.size >= 2) {
      let j = lo;
      while (hits[j]!.signal.strong) j++; // stops at hi at the latest: hits[hi] is medium
      found.push({ start: hits[j]!.start, end: h.end });
    }
  }
  // an <information> ... </information> block is one span
  let close = -1;
  for (let at = text.indexOf("<information>"); at >= 0; at = text.indexOf("<information>", at + 1)) {
    if (close < at) close = text.indexOf("</information>", at);
    if (close < 0) break;
    if (close - at <= BLOCK_MAX) found.push({ start: at, end: close + "</information>".length });
  }
  const spans: Span[] = found.map((f) => ({
    start: map[f.start]!,
    end: map[f.end - 1]! + 1,
    kind: "instruction",
  }));
  return mergeSpans(spans);
}
