/** The contract between a host and the policy: request, decision, reasons, methods, attributes. */
export * from "./methods.js";
export * from "./request.js";
export * from "./session.js";
export * from "./decision.js";
export * from "./reasons.js";
export * from "./attributes.js";
export * from "./errors.js";
export * from "./time.js";
