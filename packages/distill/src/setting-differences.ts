/**
 * The settings that differ between a checkpoint's config and now, each as `dotted.path: saved -> now`, so a
 * refused resume names the one field that changed (`optimizer.lr: 0.0002 -> 0.001`), not the whole group.
 */
export function settingDifferences(saved: unknown, now: unknown): string[] {
  const out: string[] = [];
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  const walk = (x: unknown, y: unknown, at: string): void => {
    if (isObject(x) && isObject(y)) {
      for (const key of new Set([...Object.keys(x), ...Object.keys(y)]))
        walk(x[key], y[key], at ? `${at}.${key}` : key);
      return;
    }
    const [from, to] = [JSON.stringify(x), JSON.stringify(y)];
    if (from !== to) out.push(`${at}: ${from ?? "(none)"} -> ${to ?? "(none)"}`);
  };
  walk(saved, now, "");
  return out;
}
