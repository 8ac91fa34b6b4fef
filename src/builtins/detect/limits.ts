/**
 * The bounds of the content detectors. A value past any of them counts as carrying what is asked (fail
 * closed): `detect` answers true, `findSpans` reports the unscanned tail as one span of kind `unscanned`.
 * INVARIANT: every scan in this folder is linear in the characters it is given, so these bounds bound time.
 */
export const DETECT_LIMITS = {
  /** Characters scanned per `detect` call (string leaves and object keys together) or per `findSpans` text. */
  maxScanChars: 4 * 1024 * 1024,
  /** Arrays and objects nested inside each other. */
  maxDepth: 64,
  /** Arrays, objects, strings and keys visited per `detect` call. */
  maxNodes: 200_000,
  /** Decode-and-rescan rounds for encoded secrets (base64 of hex of a key is found; three layers are not). */
  maxDecodeDepth: 2,
  /** A URL longer than this is not parsed: it counts as carrying data out. */
  maxUrlLength: 8192,
} as const;
