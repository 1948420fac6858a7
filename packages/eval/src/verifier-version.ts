/**
 * Which @ssb/verifier grades here. run.json records its version, so a run resumed after the verifier changed its
 * rules (it once began grading only the text after the last `</think>`) does not mix verdicts of two verifiers.
 */
import { VERIFIER_VERSION } from "@ssb/verifier";

/**
 * The version of the @ssb/verifier this package imports (the workspace's, or the one installed beside @ssb/eval
 * from npm): its VERIFIER_VERSION, which moves whenever its grading does.
 */
export function installedVerifierVersion(): string {
  return VERIFIER_VERSION;
}
