import { Worker } from "node:worker_threads";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  type BudgetClock,
  BudgetExceededError,
  budgetClock,
  budgetClockMs,
  processCpuClock,
  startBudget,
} from "./budget.js";

/** Spin until `ms` of the budget's clock has passed. */
function burn(ms: number): void {
  const end = budgetClockMs() + ms;
  let x = 0;
  while (budgetClockMs() < end) x += Math.sqrt(x + 1);
  expect(x).toBeGreaterThan(0);
}

/** A clock that reads `now` and counts its readings. */
function fakeClock(): BudgetClock & { now: number; reads: number } {
  const clock = {
    kind: "thread-cpu" as const,
    now: 0,
    reads: 0,
    nowMs: () => {
      clock.reads++;
      return clock.now;
    },
  };
  return clock;
}

/**
 * Another thread of this process spins for `ms` of wall time while this one sleeps (Atomics.wait: no CPU), as
 * an inference engine's threads do while replies are graded.
 */
async function otherThreadSpins(ms: number): Promise<void> {
  const done = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `const { workerData } = require("node:worker_threads");
     const end = Date.now() + workerData.ms; let x = 0;
     while (Date.now() < end) x += Math.sqrt(x + 1);
     Atomics.store(workerData.done, 0, 1); Atomics.notify(workerData.done, 0);`,
    { eval: true, workerData: { ms, done } },
  );
  Atomics.wait(done, 0, 0, ms + 10_000);
  await worker.terminate();
}

afterEach(() => vi.restoreAllMocks());

describe("startBudget", () => {
  it("throws once the comparison's CPU time passes the budget", () => {
    const budget = startBudget(5);
    budget.check();
    burn(30);
    expect(() => budget.check()).toThrow(BudgetExceededError);
  });

  it("does not read the CPU clock while the wall clock is inside the budget, nor inside what is left of it", () => {
    const clock = fakeClock();
    let wall = 1_000;
    vi.spyOn(performance, "now").mockImplementation(() => wall);
    const budget = startBudget(50, clock);
    // The budget starts at the first check: an answer that returns before one never reads the clock.
    expect(clock.reads).toBe(0);
    for (let i = 0; i < 100; i++) budget.check();
    // A thread cannot use more CPU time than the wall time that passed: 100 checks, no reading.
    expect(clock.reads).toBe(1);
    // A busy machine: 60 ms of wall time, 20 of CPU. The 30 ms left cannot pass in less than 30 ms of wall time.
    wall += 60;
    clock.now = 20;
    budget.check();
    expect(clock.reads).toBe(2);
    wall += 29;
    for (let i = 0; i < 100; i++) budget.check();
    expect(clock.reads).toBe(2);
    wall += 2;
    clock.now = 51;
    expect(() => budget.check()).toThrow(BudgetExceededError);
  });

  it("leaves time spent in exclude() out of the budget", () => {
    const budget = startBudget(5);
    budget.check(); // the budget starts
    const value = budget.exclude(() => {
      burn(40);
      return 7;
    });
    expect(value).toBe(7);
    budget.check(); // 40 ms spent, all excluded
    burn(30);
    expect(() => budget.check()).toThrow(BudgetExceededError);
  });
});

describe("the budget clock", () => {
  it("is this thread's CPU time on Linux (Node 20.16+), so time other threads spend is not the comparison's", async () => {
    if (process.platform !== "linux") return;
    expect(budgetClock.kind).toBe("thread-cpu");
    const budget = startBudget(50);
    budget.check(); // the budget starts
    await otherThreadSpins(300);
    // 300 ms of wall time passed and another thread spent ~300 ms of CPU; this one slept.
    expect(() => budget.check()).not.toThrow();
  });

  it("(the process clock, which Node 20 offers, counts them: what the thread clock replaced)", async () => {
    const clock = processCpuClock();
    if (clock === undefined) return;
    const budget = startBudget(50, clock);
    budget.check();
    await otherThreadSpins(300);
    expect(() => budget.check()).toThrow(BudgetExceededError);
  });
});
