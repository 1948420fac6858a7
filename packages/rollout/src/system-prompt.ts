/**
 * The paper's math-tutor system prompt: what `ssb-rollout --problems` puts before each question unless told
 * otherwise, so that rollouts are sampled from the prompt the student is trained and evaluated on (@ssb/curation's
 * student messages, `ssb run`, `ssb-eval` use the same text; a test in @ssb/cli checks that they stay equal).
 */
export const MATH_TUTOR_SYSTEM_PROMPT =
  "**Role:** You are an expert math tutor. When you are given a problem to solve, you provide detailed " +
  "step-by-step reasoning in your solution. Your response is clear, precise, and unambiguous. You do not skip " +
  "any step. You put your final answer within \\boxed{} at the end of your response.";
