import { afterEach, describe, expect, it, vi } from "vitest";
import { stopOnSignals } from "./stop-signals.js";

afterEach(() => vi.restoreAllMocks());

describe("stopOnSignals", () => {
  it("aborts on the first signal and says so, exits with 130 on the second, and lets go on dispose", () => {
    const said: string[] = [];
    const before = process.listenerCount("SIGINT");
    const stop = stopOnSignals((name) => said.push(name));
    expect(process.listenerCount("SIGINT")).toBe(before + 1);
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    try {
      process.emit("SIGTERM", "SIGTERM");
      expect(stop.signal.aborted).toBe(true);
      expect((stop.signal.reason as Error).message).toBe("stopped by SIGTERM");
      expect(said).toEqual(["SIGTERM"]);
      expect(exit).not.toHaveBeenCalled();
      process.emit("SIGINT", "SIGINT");
      expect(exit).toHaveBeenCalledWith(130);
      expect(said).toEqual(["SIGTERM"]);
    } finally {
      stop.dispose();
    }
    expect(process.listenerCount("SIGINT")).toBe(before);
  });
});
