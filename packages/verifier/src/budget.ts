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

export function startBudget(budgetMs: number): Budget {
  let deadline = performance.now() + budgetMs;
  return {
    check() {
      if (performance.now() > deadline) throw new BudgetExceededError(budgetMs);
    },
    extend(ms: number) {
      deadline += ms;
    },
  };
}
