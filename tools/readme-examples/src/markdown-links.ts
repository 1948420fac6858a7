/**
 * Relative links in Markdown files: every `[text](target)` whose target is a path in the repository (not a
 * URL, not a pure `#anchor`) must name a file or folder that exists, so a moved README or a renamed example
 * does not leave readers at a dead link. Links inside fenced code blocks and inline code are not links.
 */
import { existsSync } from "node:fs";
import path from "node:path";

export interface MarkdownLink {
  /** 1-based line of the link. */
  line: number;
  target: string;
}

const FENCE = /^\s*(```|~~~)/;
// [text](target "title"): the target ends at whitespace or the closing parenthesis.
const LINK = /\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g;
const INLINE_CODE = /`[^`]*`/g;

/** The links of a Markdown text, outside code. */
export function markdownLinks(text: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  let fenced = false;
  text.split("\n").forEach((raw, i) => {
    if (FENCE.test(raw)) {
      fenced = !fenced;
      return;
    }
    if (fenced) return;
    for (const m of raw.replace(INLINE_CODE, "").matchAll(LINK))
      links.push({ line: i + 1, target: m[1] ?? "" });
  });
  return links;
}

/** Whether a link target is a path inside the repository (not a URL, mail address or in-page anchor). */
export function isLocalTarget(target: string): boolean {
  return target !== "" && !target.startsWith("#") && !/^[a-z][a-z0-9+.-]*:/i.test(target);
}

/** `file:line: target` for each local link of `file` (a Markdown file) whose target does not exist. */
export function deadLinks(file: string, text: string): string[] {
  const dir = path.dirname(file);
  return markdownLinks(text)
    .filter((l) => isLocalTarget(l.target))
    .filter((l) => {
      const bare = decodeURIComponent(l.target.split("#")[0] ?? "");
      return !existsSync(path.resolve(dir, bare));
    })
    .map((l) => `${file}:${l.line}: ${l.target}`);
}
