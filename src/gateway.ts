/**
 * `mcppolicy/gateway`: the Streamable HTTP gateway as a library — load a YAML config, start the gateway in
 * this process, or use its parts (the authenticator, the config loader). `mcppolicy serve` is this module
 * behind a command line. docs/gateway.md and docs/gateway-config.md are the spec.
 */
export { startGateway, GatewayStartError, type Gateway, type GatewayOptions, type ReloadOutcome } from "./gateway/gateway.js";
export { loadGatewayConfig, parseGatewayConfig } from "./gateway/config/index.js";
export type * from "./gateway/config/types.js";
export { createAuthenticator, type Authenticator, type AuthOutcome, type RequestFacts } from "./gateway/auth/index.js";
export { createLogger, type Logger, type LogLevel } from "./gateway/logger.js";
