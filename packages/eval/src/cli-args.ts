/**
 * node:util parseArgs keeps the last of a repeated option, so `--seed 1 --seed 2` would silently run with seed
 * 2. With `tokens: true` it lists every option as given, which shows the repeat.
 */
import type { ParseArgsConfig } from "node:util";

export type CliOptions = NonNullable<ParseArgsConfig["options"]>;

/** The parts of a parseArgs option token this check reads. */
export interface OptionToken {
  kind: string;
  name?: string;
  value?: string | undefined;
}

/** Refuse an option that takes a value and is given twice, naming it and both values. */
export function refuseRepeatedOptions(tokens: readonly OptionToken[], options: CliOptions): void {
  const seen = new Map<string, string | undefined>();
  for (const token of tokens) {
    if (token.kind !== "option" || token.name === undefined) continue;
    const spec = options[token.name];
    if (spec === undefined || spec.type !== "string" || spec.multiple) continue;
    if (seen.has(token.name)) {
      const first = JSON.stringify(seen.get(token.name) ?? "");
      throw new Error(
        `--${token.name} is given more than once (${first}, then ${JSON.stringify(token.value ?? "")}); give it once`,
      );
    }
    seen.set(token.name, token.value);
  }
}
