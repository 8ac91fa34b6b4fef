// Types of scenario.mjs, for the TypeScript tests.
export interface Role {
  name: string;
  tools: string[];
}
export interface Scenario {
  name: string;
  roles: Role[];
  tools: string[];
}
export interface PeerRequest {
  role: string;
  tool: string;
  path?: string;
}
export const PATH_TOOL: "read_file";
export const MIX_SIZE: number;
export const SCENARIOS: string[];
export function scenario(name: string): Scenario;
export function mix(sc: Scenario, n?: number, seed?: number): PeerRequest[];
export function expected(sc: Scenario, req: PeerRequest): boolean;
