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
  /** Runs `work` outside the budget: one-time costs (starting the LaTeX engine) that no single answer should pay. */
  exclude<T>(work: () => T): T;
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
  // A thread cannot use more CPU time than the wall time that passes, so until the wall clock (cheap to read)
  // passes the budget, the CPU clock cannot have: `process.cpuUsage()` is a system call, and reading it at every
  // check was once the largest single cost of grading an integer answer (28% of `grade`'s time).
  let wallDeadline = performance.now() + budgetMs;
  return {
    check() {
      if (performance.now() <= wallDeadline) return;
      if (budgetClockMs() > deadline) throw new BudgetExceededError(budgetMs);
    },
    exclude<T>(work: () => T): T {
      const cpu = budgetClockMs();
      const wall = performance.now();
      try {
        return work();
      } finally {
        deadline += budgetClockMs() - cpu;
        wallDeadline += performance.now() - wall;
      }
    },
  };
}
