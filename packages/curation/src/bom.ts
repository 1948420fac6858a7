/**
 * A UTF-8 byte order mark (U+FEFF, written by some Windows editors) at the start of a file is not part of its
 * content: left in, it makes JSON.parse fail on an "invisible" token or ends up inside a prompt text.
 */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
