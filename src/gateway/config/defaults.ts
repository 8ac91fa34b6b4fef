/**
 * Every default of the gateway's config, in one place: each value is the one the doc comment of its
 * option in types.ts states, and docs/gateway-config.md lists them (test/gateway/config-defaults.test.ts
 * holds the three together). Change a default here, in types.ts and in the docs at once.
 */
export const DEFAULTS = {
  listen: { host: "127.0.0.1", port: 8080, path: "/mcp", allowedOrigins: [] as string[] },
  tls: { minVersion: "TLSv1.3" as const, requireClientCert: true },
  mode: "enforce" as const,
  store: { kind: "memory" as const },
  audit: { failOpen: false },
  tokens: { encoding: "o200k_base" },
  upstream: { connectTimeoutMs: 10_000, requestTimeoutMs: 300_000, backoff: { initialMs: 250, maxMs: 30_000 } },
  /** The prefix of each upstream when there are several (a lone upstream's is ""). */
  prefixOf: (name: string) => `${name}__`,
  oauth: {
    algorithms: ["RS256", "PS256", "ES256", "EdDSA"],
    clockToleranceSec: 30,
    requiredScopes: [] as string[],
    jwksCacheMaxAgeMs: 600_000,
    jwksCooldownMs: 30_000,
    jwksTimeoutMs: 5_000,
    principal: { id: "sub" },
  },
  rateLimit: { perMinute: 60, burst: 20 },
  limits: {
    maxBodyBytes: 4_194_304,
    maxHeaderBytes: 16_384,
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
    keepAliveTimeoutMs: 5_000,
    maxInFlightPerSession: 64,
    shutdownGraceMs: 10_000,
  },
  sessions: { max: 1000, idleMs: 1_800_000, replayEvents: 1000 },
  reload: { watch: true, debounceMs: 200 },
  log: { level: "info" as const },
  allowMethods: ["logging/setLevel"],
  approvalTimeoutMs: 300_000,
} as const;
