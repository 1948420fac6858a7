/** The pipeline's stages, in order; each writes into its own subdirectory of the work directory. */
export const STAGES = ["problems", "rollout", "curate", "distill", "eval", "report"] as const;

export type StageName = (typeof STAGES)[number];

export function isStageName(value: string): value is StageName {
  return (STAGES as readonly string[]).includes(value);
}

export function stageIndex(stage: StageName): number {
  return STAGES.indexOf(stage);
}
