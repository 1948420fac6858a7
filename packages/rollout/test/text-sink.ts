/** A stream for runCli's stdout / stderr that keeps what is written (not a terminal: no progress bar). */
export function textSink(): { stream: NodeJS.WriteStream; text: () => string } {
  let text = "";
  const stream = {
    write: (s: string) => {
      text += s;
      return true;
    },
    isTTY: false,
  } as unknown as NodeJS.WriteStream;
  return { stream, text: () => text };
}
