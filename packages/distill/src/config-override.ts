/**
 * `--set KEY=VALUE` overrides: a dotted path written into the config object read from `--config`.
 */

/** Path parts that reach the prototype chain instead of a settings field. */
const UNSAFE_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/**
 * Write `value` at `dotted` in `target`, creating objects on the way. "__proto__.x" would otherwise walk into
 * Object.prototype and set `x` on every object of the process: such parts are refused, naming the flag.
 */
export function setConfigPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split(".");
  const bad = keys.find((k) => UNSAFE_KEYS.has(k));
  if (bad !== undefined) throw new Error(`--set ${dotted}: "${bad}" is not a settings field`);
  let node = target;
  for (const key of keys.slice(0, -1)) {
    // Own properties only: an inherited one (toString, ...) is not a settings object to write into.
    const next = Object.hasOwn(node, key) ? node[key] : undefined;
    if (typeof next !== "object" || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1] as string] = value;
}
