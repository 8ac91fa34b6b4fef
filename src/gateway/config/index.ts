/**
 * The gateway's config: `loadGatewayConfig(file)` / `parseGatewayConfig(text, file)` turn YAML into a
 * resolved GatewayConfig or diagnostics (load.ts); the types are the contract (types.ts);
 * docs/gateway-config.md documents every option.
 */
export { loadGatewayConfig, parseGatewayConfig, renderConfigDiagnostics, configDiagnosticsJson, MAX_CONFIG_BYTES, type ConfigResult, type ConfigOptions } from "./load.js";
export { DEFAULTS } from "./defaults.js";
export { isLoopback } from "./values.js";
export { configForLog, REDACTED } from "./redact.js";
export type * from "./types.js";
