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

/** Which clock budgets run on here, best first (see budgetClock). */
export type BudgetClockKind = "thread-cpu" | "process-cpu" | "wall";

/** A clock in milliseconds and what it measures. */
export interface BudgetClock {
  kind: BudgetClockKind;
  nowMs(): number;
}

/** Node >= 23.9's per-thread CPU time. Node 20 and 22 lack it. */
function nodeThreadClock(): BudgetClock | undefined {
  if (typeof process === "undefined") return undefined;
  const threadCpuUsage = (process as { threadCpuUsage?: () => CpuUsage }).threadCpuUsage;
  if (typeof threadCpuUsage !== "function") return undefined;
  return {
    kind: "thread-cpu",
    nowMs: () => {
      const { user, system } = threadCpuUsage.call(process);
      return (user + system) / 1000;
    },
  };
}

type FsCalls = Pick<typeof import("node:fs"), "openSync" | "readSync" | "closeSync">;

/**
 * node:fs without a static import, which would keep the verifier out of browser bundles: Node >= 20.16 has
 * process.getBuiltinModule; elsewhere there is no per-thread clock to read and the process clock serves.
 */
function nodeFs(): FsCalls | undefined {
  if (typeof process === "undefined") return undefined;
  const load = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  return typeof load === "function" ? (load.call(process, "node:fs") as FsCalls) : undefined;
}

/**
 * Linux's per-thread CPU time: the first field of /proc/thread-self/schedstat, in nanoseconds. The kernel
 * brings it up to date at each scheduler tick (1-10 ms), so a running thread reads up to one tick behind: a
 * comparison can overrun its budget by that much before it is stopped, the same amount under any load.
 *
 * Every comparison reads it once at its start, so the file stays open: a read then costs about what
 * `process.cpuUsage()` does (3-4 µs here), where opening it for each reading made grading an integer answer
 * four times slower. The descriptor names the thread that opened it (each worker thread loads this module
 * and opens its own), and is closed when that thread's process object exits.
 */
function openSchedstat(fs: FsCalls): () => number {
  const bytes = new Uint8Array(64);
  let fd: number | undefined;
  const read = (): number => {
    if (fd === undefined) {
      fd = fs.openSync("/proc/thread-self/schedstat", "r");
      const opened = fd;
      process.once("exit", () => fs.closeSync(opened));
    }
    const length = fs.readSync(fd, bytes, 0, bytes.length, 0);
    let ns = 0;
    let i = 0;
    for (; i < length; i++) {
      const digit = bytes[i]! - 48;
      if (digit < 0 || digit > 9) break;
      ns = ns * 10 + digit;
    }
    if (i === 0 || bytes[i] !== 32) throw new Error("unexpected /proc/thread-self/schedstat");
    return ns / 1e6;
  };
  return read;
}

function linuxThreadClock(): BudgetClock | undefined {
  if (typeof process === "undefined" || process.platform !== "linux") return undefined;
  const fs = nodeFs();
  if (fs === undefined) return undefined;
  const read = openSchedstat(fs);
  try {
    read();
  } catch {
    return undefined; // no /proc (a sandbox), or a kernel without schedstat
  }
  return { kind: "thread-cpu", nowMs: read };
}

/** This process's CPU time, every thread's together: the clock where no thread's own can be read. */
export function processCpuClock(): BudgetClock | undefined {
  if (typeof process === "undefined" || typeof process.cpuUsage !== "function") return undefined;
  return {
    kind: "process-cpu",
    nowMs: () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    },
  };
}

/**
 * The clock budgets run on: the CPU time of the thread doing the comparison where it can be read, else this
 * process's CPU time, else wall time. CPU time makes verdicts independent of machine load (on a busy 2-core CI
 * box a 2 ms comparison can take 100 ms of wall time, and a wall-clock budget would grade a right answer
 * wrong); the thread's own time also leaves out every other thread of the process: V8's background compiler,
 * and an inference engine sampling the next batch while replies are graded, whose threads would otherwise
 * spend a comparison's budget once a busy machine had slowed it past the budget in wall time.
 */
export function selectBudgetClock(): BudgetClock {
  return (
    nodeThreadClock() ??
    linuxThreadClock() ??
    processCpuClock() ?? { kind: "wall", nowMs: () => performance.now() }
  );
}

/** The clock of this thread's budgets, chosen once (on the thread that loads the module, as each worker does). */
export const budgetClock: BudgetClock = selectBudgetClock();

export function budgetClockMs(): number {
  return budgetClock.nowMs();
}

export function startBudget(budgetMs: number, clock: BudgetClock = budgetClock): Budget {
  // The budget starts at the first check, which every comparison reaches after extraction and normalisation
  // (linear in the text and bounded by maxAnswerChars / the response limit), just before its first step that
  // can take long. Reading the CPU clock costs 1-4 µs, as much as grading an integer answer, so an answer
  // equal to its gold as written, which returns before any check, never reads it.
  let deadline: number | undefined;
  // A thread cannot use more CPU time than the wall time that passes, so until the wall clock (cheap to read)
  // passes the budget, the CPU clock cannot have. After a reading, the same holds for the budget that is left,
  // so a comparison slowed by a busy machine reads it a few times, not at every check.
  let wallDeadline = 0;
  return {
    check() {
      if (deadline === undefined) {
        deadline = clock.nowMs() + budgetMs;
        wallDeadline = performance.now() + budgetMs;
        return;
      }
      if (performance.now() <= wallDeadline) return;
      const left = deadline - clock.nowMs();
      if (left < 0) throw new BudgetExceededError(budgetMs);
      wallDeadline = performance.now() + left;
    },
    exclude<T>(work: () => T): T {
      // Before the first check the budget has not started: nothing to leave out.
      if (deadline === undefined) return work();
      const cpu = clock.nowMs();
      const wall = performance.now();
      try {
        return work();
      } finally {
        deadline += clock.nowMs() - cpu;
        wallDeadline += performance.now() - wall;
      }
    },
  };
}
