/**
 * Provenance fingerprints for `VALUE derives from LABEL`: winnowed k-gram hashes of a result's text, and the
 * test whether a value shares a long enough normalised run with them. Best effort: sound only for verbatim
 * copying. STUB: helper `provenance` replaces the bodies; the exported API is the contract.
 */

/** The fingerprints of every string leaf of `value` (a result), at most `max` of them. */
export function fingerprint(value: unknown, max?: number): string[] {
  void value;
  void max;
  return [];
}

/** Whether some string leaf of `value` shares a normalised run of at least the threshold with `fingerprints`. */
export function derives(value: unknown, fingerprints: readonly string[]): boolean {
  void value;
  void fingerprints;
  return false;
}
