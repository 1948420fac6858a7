import { afterEach, describe, expect, it, vi } from "vitest";
import { BudgetExceededError, budgetClockMs, startBudget } from "./budget.js";

/** Spin until `ms` of this process's CPU time (the budget's clock) has passed. */
function burn(ms: number): void {
  const end = budgetClockMs() + ms;
  let x = 0;
  while (budgetClockMs() < end) x += Math.sqrt(x + 1);
  expect(x).toBeGreaterThan(0);
}

afterEach(() => vi.restoreAllMocks());

describe("startBudget", () => {
  it("throws once the comparison's CPU time passes the budget", () => {
    const budget = startBudget(5);
    budget.check();
    burn(10);
    expect(() => budget.check()).toThrow(BudgetExceededError);
  });

  it("does not ask the OS for CPU time while the wall clock is inside the budget", () => {
    const budget = startBudget(1_000);
    const cpu = vi.spyOn(process, "cpuUsage");
    for (let i = 0; i < 100; i++) budget.check();
    // A thread cannot use more CPU time than the wall time that passed: 100 checks, no system call.
    expect(cpu).not.toHaveBeenCalled();
  });

  it("leaves time spent in exclude() out of the budget", () => {
    const budget = startBudget(5);
    const value = budget.exclude(() => {
      burn(20);
      return 7;
    });
    expect(value).toBe(7);
    budget.check(); // 20 ms spent, all excluded
    burn(10);
    expect(() => budget.check()).toThrow(BudgetExceededError);
  });
});
