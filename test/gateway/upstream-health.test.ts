// UpstreamHealth: the backoff shared by every session's link to one upstream, on a clock the test moves
// and a random source it fixes (so the jitter bounds are proven, not sampled).
import { describe, expect, it } from "vitest";
import { UpstreamHealth } from "../../src/gateway/upstream/index.js";

function health(random = () => 0.5, backoff = { initialMs: 100, maxMs: 1000 }) {
  const clock = { t: 1_000_000 };
  const h = new UpstreamHealth("notes", backoff, () => clock.t, random);
  return { h, clock };
}

describe("UpstreamHealth", () => {
  it("starts unknown and lets attempts through; markUp makes it up", () => {
    const { h } = health();
    expect(h.name).toBe("notes");
    expect(h.state).toBe("unknown");
    expect(h.canAttempt()).toBe(true);
    expect(h.retryInMs()).toBe(0);
    h.markUp();
    expect(h.state).toBe("up");
    expect(h.lastError).toBeUndefined();
  });

  it("after a failure: no attempt until the jittered wait passed, then one probe at a time", () => {
    const { h, clock } = health(() => 0.5);
    h.markDown("connect ECONNREFUSED");
    expect(h.state).toBe("down");
    expect(h.lastError).toBe("connect ECONNREFUSED");
    // 100 ms * (0.5 + 0.5 * 0.5) = 75 ms
    expect(h.retryInMs()).toBe(75);
    expect(h.canAttempt()).toBe(false);
    clock.t += 74;
    expect(h.canAttempt()).toBe(false);
    clock.t += 1;
    expect(h.canAttempt()).toBe(true); // the probe
    expect(h.canAttempt()).toBe(false); // the others wait for it
    expect(h.retryInMs()).toBe(75);
  });

  it("each failed probe doubles the delay up to the cap; jitter stays within [delay/2, delay)", () => {
    for (const r of [0, 0.999999]) {
      const { h, clock } = health(() => r);
      const waits: number[] = [];
      for (let i = 0; i < 6; i++) {
        h.markDown(`fail ${i}`);
        waits.push(h.retryInMs());
        clock.t += h.retryInMs();
        expect(h.canAttempt()).toBe(true);
      }
      const delays = [100, 200, 400, 800, 1000, 1000];
      waits.forEach((w, i) => {
        expect(w).toBeGreaterThanOrEqual(delays[i]! / 2);
        expect(w).toBeLessThanOrEqual(delays[i]!);
      });
    }
  });

  it("many sessions losing the same upstream at once count as one failure", () => {
    const { h } = health(() => 0.5);
    for (let i = 0; i < 50; i++) h.markDown(`session ${i}: reset`);
    expect(h.retryInMs()).toBe(75);
    expect(h.lastError).toBe("session 49: reset");
  });

  it("markUp after a successful probe resets the delay and clears the error", () => {
    const { h, clock } = health(() => 0.5);
    h.markDown("a");
    clock.t += 75;
    h.canAttempt();
    h.markDown("b"); // probe failed: 200 ms * 0.75
    expect(h.retryInMs()).toBe(150);
    clock.t += 150;
    expect(h.canAttempt()).toBe(true);
    h.markUp();
    expect(h.state).toBe("up");
    expect(h.lastError).toBeUndefined();
    expect(h.canAttempt()).toBe(true);
    h.markDown("c");
    expect(h.retryInMs()).toBe(75);
  });
});
