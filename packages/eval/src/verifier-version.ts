/**
 * Which @ssb/verifier grades here. run.json records its version, so a run resumed after the verifier changed its
 * rules (it once began grading only the text after the last `</think>`) does not mix verdicts of two verifiers.
 */
import { createRequire } from "node:module";

/**
 * The version in the package.json of the @ssb/verifier this package imports (the one Node resolves from here:
 * the workspace's, or the one installed beside @ssb/eval from npm), or undefined when it cannot be read (a bundle
 * that inlined the verifier). @ssb/verifier exports "./package.json" for this. `import.meta.url` is the dist
 * file's own in the ESM build and tsup's shim of it in the CJS build, so both resolve from where they lie.
 */
export function installedVerifierVersion(): string | undefined {
  try {
    const pkg: unknown = createRequire(import.meta.url)("@ssb/verifier/package.json");
    const version = (pkg as { version?: unknown } | null)?.version;
    return typeof version === "string" && version !== "" ? version : undefined;
  } catch {
    return undefined;
  }
}
