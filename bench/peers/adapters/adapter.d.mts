// The shape every adapter's load() returns (see engines.mjs), for the TypeScript tests.
import type { PeerRequest } from "../scenario.mjs";
export interface Adapter<I = unknown> {
  input(req: PeerRequest): I;
  decide(input: I): boolean;
}
