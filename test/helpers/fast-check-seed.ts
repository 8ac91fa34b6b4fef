// Property seeds. Locally every run draws new seeds (properties keep finding new cases). Under CI the
// seed is derived from the commit being tested, so a run can be reproduced exactly and CI's verdict on
// a commit does not change from one run to the next; each new commit explores other seeds. FC_SEED
// overrides both (to replay a failure: fast-check prints the seed and path of every counterexample).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fc from "fast-check";

function commitSeed(): number | undefined {
  try {
    const head = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    return createHash("sha256").update(head).digest().readInt32LE(0);
  } catch {
    return undefined;
  }
}

const fixed = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : process.env.CI ? commitSeed() : undefined;
if (fixed !== undefined && Number.isInteger(fixed)) fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: fixed });
