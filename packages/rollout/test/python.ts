/**
 * The Python reference checks (python/*.py against transformers): which interpreter runs them, and why they are
 * skipped where it lacks the modules. SSB_PYTHON names the interpreter (a venv's, say); CI's python3 has no torch,
 * so there the tests are skipped and their names say why.
 */
import { spawnSync } from "node:child_process";

export const PYTHON = process.env.SSB_PYTHON ?? "python3";

/** Why `modules` cannot be imported by PYTHON, as the suffix of a skipped test's name; "" when they can. */
export function pythonSkipNote(modules: readonly string[]): string {
  const list = modules.length > 1 ? `${modules.slice(0, -1).join(", ")} and ${modules.at(-1)}` : modules[0];
  const r = spawnSync(PYTHON, ["-c", `import ${modules.join(", ")}`], { encoding: "utf8" });
  const missing = r.error
    ? `${PYTHON} not found (${r.error.message})`
    : r.status !== 0
      ? `${PYTHON} cannot import ${list}: ${r.stderr.trim().split("\n").pop()}`
      : undefined;
  return missing ? ` (skipped: ${missing}; set SSB_PYTHON to a python with ${list})` : "";
}
