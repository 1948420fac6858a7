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
}

export function startBudget(budgetMs: number): Budget {
  const deadline = performance.now() + budgetMs;
  return {
    check() {
      if (performance.now() > deadline) throw new BudgetExceededError(budgetMs);
    },
  };
}
