/**
 * The chat template kwargs a job renders its prompts with (Qwen3's `{"enable_thinking": false}`, ...). They
 * change every prompt, so a job records them in its settings file at its first start (`chatTemplateKwargs`,
 * only when there are any: a job without them writes the settings it always did) and a resume renders with
 * the recorded ones. Other kwargs than the recorded ones are refused, as another templateDate is.
 */
import {
  type ChatTemplateKwargs,
  chatTemplateKwargsKey,
  checkChatTemplateKwargs,
  sameChatTemplateKwargs,
} from "@ssb/model";
import { RolloutError } from "./errors.js";
import { settingsFileOf, storedSettings } from "./stored-settings.js";

/** How kwargs read in a message: their canonical JSON, or "none". */
const shown = (kwargs: ChatTemplateKwargs | undefined): string => chatTemplateKwargsKey(kwargs) || "none";

/**
 * The kwargs the job writing `outFile` renders with: `given` (chatTemplateKwargs / --chat-template-kwargs),
 * else the ones its settings file records, else none. `undefined` means none, and is what is recorded then
 * (`{}` given counts as none). Kwargs other than the recorded ones (by sameChatTemplateKwargs: key order
 * aside) are refused naming the file, both values and the ways on; an output whose settings record none
 * (every output written before kwargs were recorded) was rendered without any. Reads only.
 */
export function jobChatTemplateKwargs(
  outFile: string,
  given: ChatTemplateKwargs | undefined,
): ChatTemplateKwargs | undefined {
  if (given !== undefined) checkChatTemplateKwargs(given, "chatTemplateKwargs (--chat-template-kwargs)");
  const settingsFile = settingsFileOf(outFile);
  // A settings file the journal will refuse (not a JSON object) is left to it: it names the problem.
  const { fields } = storedSettings(settingsFile);
  const recorded =
    fields?.chatTemplateKwargs === undefined
      ? undefined
      : checkChatTemplateKwargs(fields.chatTemplateKwargs, `${settingsFile}: chatTemplateKwargs`);
  if (fields !== undefined && given !== undefined && !sameChatTemplateKwargs(recorded, given)) {
    const before =
      recorded === undefined || chatTemplateKwargsKey(recorded) === ""
        ? `without chat template kwargs (${settingsFile} records none)`
        : `with chat template kwargs ${shown(recorded)} (chatTemplateKwargs in ${settingsFile})`;
    const resume =
      recorded === undefined || chatTemplateKwargsKey(recorded) === ""
        ? "leave --chat-template-kwargs out (chatTemplateKwargs in code)"
        : `give --chat-template-kwargs '${shown(recorded)}' or leave it out (chatTemplateKwargs in code)`;
    throw new RolloutError(
      `${outFile}: its prompts were rendered ${before}, not ${shown(given)}; to resume, ${resume}, or use a new --out for prompts rendered with other kwargs (nothing was changed)`,
    );
  }
  // On a resume the recorded object is kept as it was written, so the settings stay unchanged; new ones are
  // recorded in canonical key order, so two runs given the same kwargs write the same settings file.
  if (recorded !== undefined && chatTemplateKwargsKey(recorded) !== "") return recorded;
  const key = chatTemplateKwargsKey(given);
  return key === "" ? undefined : (JSON.parse(key) as ChatTemplateKwargs);
}
