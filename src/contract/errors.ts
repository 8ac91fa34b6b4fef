/**
 * The error an attribute read or an operator raises when a request lacks a fact or holds it with the
 * wrong type. Both evaluators catch exactly this class and turn it into a deny (`evaluation_error`);
 * any other exception is a fault of the library, never a reason to allow.
 */
export class EvalError extends Error {}
