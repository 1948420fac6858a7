/** Raised inside a comparison when its time budget is spent; `grade` turns it into a verdict. */
export class BudgetExceededError extends Error {
  constructor(budgetMs: number) {
    super(`answer comparison exceeded its ${budgetMs} ms budget`);
    this.name = "BudgetExceededError";
  }
}

/** A deadline checked between steps; the steps themselves are bounded by input-size limits. */
export interface Budget {
  check(): void;
  /** Moves the deadline out, for one-time costs (starting the LaTeX engine) that no single answer should pay. */
  extend(ms: number): void;
}

interface CpuUsage {
  user: number;
  system: number;
}
type CpuUsageFn = () => CpuUsage;

/**
 * The clock budgets run on: this process's CPU time where Node gives it, else wall time. CPU time makes
 * verdicts independent of machine load — on a busy 2-core CI box a 2 ms comparison can take 100 ms of wall
 * time, and a wall-clock budget would then grade a right answer wrong. The work itself stays bounded by the
 * input-size limits either way.
 */
const cpuUsage: CpuUsageFn | undefined =
  typeof process !== "undefined" && typeof process.cpuUsage === "function"
    ? () => process.cpuUsage()
    : undefined;

export function budgetClockMs(): number {
  if (cpuUsage) {
    const { user, system } = cpuUsage();
    return (user + system) / 1000;
  }
  return performance.now();
}

export function startBudget(budgetMs: number): Budget {
  let deadline = budgetClockMs() + budgetMs;
  return {
    check() {
      if (budgetClockMs() > deadline) throw new BudgetExceededError(budgetMs);
    },
    extend(ms: number) {
      deadline += ms;
    },
  };
}
