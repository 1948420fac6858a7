import { stat } from "node:fs/promises";

/** Whether `file` is a regular file (false when it is missing, a folder or unreadable). */
export async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}
