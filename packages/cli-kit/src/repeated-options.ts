/**
 * node:util parseArgs keeps the last of a repeated option, so `--seed 1 --seed 2` would silently run with seed
 * 2. With `tokens: true` it lists every option as given, which shows a repeat.
 */

/** The parts of a parseArgs token this check reads (option tokens carry a name and a value). */
export interface ArgToken {
  kind: string;
  name?: string;
  rawName?: string;
  value?: string | undefined;
}

export interface OptionSpec {
  type: "string" | "boolean";
  multiple?: boolean;
}

/**
 * A one-line message for the first option that takes a value and is given twice, or null. Repeated boolean
 * switches (`--quiet --quiet`) mean the same as one and are let through; options declared `multiple` may repeat.
 */
export function repeatedOptionMessage(
  tokens: readonly ArgToken[],
  options: Readonly<Record<string, OptionSpec>>,
): string | null {
  const first = new Map<string, ArgToken>();
  for (const token of tokens) {
    if (token.kind !== "option" || token.name === undefined) continue;
    const spec = options[token.name];
    if (spec === undefined || spec.type !== "string" || spec.multiple) continue;
    const earlier = first.get(token.name);
    if (earlier === undefined) {
      first.set(token.name, token);
      continue;
    }
    return `--${token.name} is given more than once (${JSON.stringify(earlier.value ?? "")}, then ${JSON.stringify(token.value ?? "")}); give it once`;
  }
  return null;
}
