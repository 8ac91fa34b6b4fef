/**
 * Content detectors for `VALUE carries DETECTOR` and for result redaction: secrets (and their encodings),
 * personal data, instructions aimed at an AI agent, data carried out in URLs.
 * GUARANTEES: pure and total (never throws); linear in the input; a value larger than the scan bound counts
 * as carrying (fail closed). STUB: helper `detect` replaces the bodies; the exported API is the contract.
 */
export const DETECTOR_NAMES = ["secret", "pii", "instruction", "exfil"] as const;
export type DetectorName = (typeof DETECTOR_NAMES)[number];

export interface Span {
  readonly start: number;
  readonly end: number;
  /** What was found, e.g. `aws-access-key`, `email`, `jwt`. */
  readonly kind: string;
}

export function isDetectorName(name: string): name is DetectorName {
  return (DETECTOR_NAMES as readonly string[]).includes(name);
}

/** Whether any string leaf or object key of `value` carries what `name` detects. */
export function detect(name: DetectorName, value: unknown): boolean {
  void name;
  void value;
  return false;
}

/** The spans of `text` that `name` detects, in order, not overlapping. */
export function findSpans(name: DetectorName, text: string): Span[] {
  void name;
  void text;
  return [];
}

/** `text` with every span any of `names` detects replaced by `[REDACTED:<kind>]`. */
export function redactText(text: string, names: readonly DetectorName[]): string {
  void names;
  return text;
}
