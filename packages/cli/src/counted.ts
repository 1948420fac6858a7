/** `1 step`, `8 steps`: a count with its noun, so a one-step or one-epoch run does not read "1 steps". */
export function counted(n: unknown, noun: string): string {
  return `${String(n)} ${n === 1 ? noun : `${noun}s`}`;
}
