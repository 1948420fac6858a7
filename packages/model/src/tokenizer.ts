/**
 * A checkpoint's tokenizer: `tokenizer.json` run by @huggingface/tokenizers, plus what
 * `tokenizer_config.json` adds (special-token strings, chat template, decode clean-up), behind a
 * small interface that speaks token ids as plain numbers.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { refuseUnknownOptions } from "@ssb/cli-kit";
import {
  type ChatMessage,
  type ChatTemplate,
  type ChatTemplateTokens,
  compileChatTemplate,
  type RenderChatOptions,
} from "./chat-template.js";
import { readJsonFile } from "./config.js";
import { isFile } from "./is-file.js";
import { describeValue, expectObject, isJsonObject, type JsonObject, ModelFileError } from "./json-fields.js";

export const TOKENIZER_FILE = "tokenizer.json";
export const TOKENIZER_CONFIG_FILE = "tokenizer_config.json";
/** Newer transformers save the template beside the config; it wins over `chat_template` in the config. */
export const CHAT_TEMPLATE_FILE = "chat_template.jinja";

/** The parts of `tokenizer_config.json` we use, normalised. */
export interface TokenizerSettings {
  bosToken: string | null;
  eosToken: string | null;
  padToken: string | null;
  unkToken: string | null;
  additionalSpecialTokens: string[];
  /** Prepend bos_token when encoding with special tokens (Llama); Qwen: false. */
  addBosToken: boolean;
  addEosToken: boolean;
  /** transformers' decode clean-up (" ." -> "."); false unless the config turns it on, so decode inverts encode. */
  cleanUpTokenizationSpaces: boolean;
  modelMaxLength: number | null;
  chatTemplate: string | null;
  /**
   * The list form's "tool_use" template (Hermes-style checkpoints), which transformers renders instead of
   * "default" when tools are passed; absent when the config has none.
   */
  toolUseChatTemplate?: string;
}

export interface EncodeOptions {
  /** Apply the post-processor / add_bos_token (default false: chat prompts already carry their special tokens). */
  addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** Drop special tokens such as `<|im_end|>` (default false, so decode(encode(x)) === x). */
  skipSpecialTokens?: boolean;
  /**
   * Drop integer ids the vocabulary has no token for (default false: they are refused by index). For text
   * sampled from a model whose LM head is padded past the tokenizer (Qwen: 151936 rows, ~151665 tokens).
   */
  skipIdsWithoutToken?: boolean;
}

const ENCODE_OPTIONS: readonly string[] = Object.keys({
  addSpecialTokens: true,
} satisfies Record<keyof EncodeOptions, true>);
const DECODE_OPTIONS: readonly string[] = Object.keys({
  skipSpecialTokens: true,
  skipIdsWithoutToken: true,
} satisfies Record<keyof DecodeOptions, true>);

export interface ModelTokenizer {
  readonly settings: TokenizerSettings;
  /** Vocabulary size including added tokens (can be smaller than the model's padded `vocab_size`). */
  readonly vocabSize: number;
  /** Every special added token (content -> id), e.g. `<|im_start|>` -> 151644 for Qwen. */
  readonly specialTokens: ReadonlyMap<string, number>;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  readonly padTokenId: number | null;
  /** The chat template, or null when the tokenizer has none. */
  readonly chatTemplate: ChatTemplate | null;
  encode(text: string, options?: EncodeOptions): number[];
  decode(ids: readonly number[], options?: DecodeOptions): string;
  /** Token string for one id (`Ġthe` style for byte-level vocabularies), undefined when out of range. */
  idToToken(id: number): string | undefined;
  tokenToId(token: string): number | undefined;
  /** Id of a token that must exist (e.g. `<|im_end|>`); throws naming the token otherwise. */
  requireTokenId(token: string): number;
  /** Render messages with the chat template (throws when there is none). */
  renderChat(messages: readonly ChatMessage[], options?: RenderChatOptions): string;
  /** renderChat then encode, without adding special tokens (the template has them). */
  encodeChat(messages: readonly ChatMessage[], options?: RenderChatOptions): number[];
  /**
   * SHA-256 (hex) of the tokenizer's vocabulary, merges and pipeline (`tokenizer.json` as parsed)
   * plus the chat template: a stable id for "same tokenization" that stores such as the logit
   * store can record and compare. Computed on first call.
   */
  fingerprint(): string;
}

/** A token entry in tokenizer_config: a string, or an AddedToken object with `content`. */
function tokenString(config: JsonObject, key: string, file: string): string | null {
  const value = config[key];
  if (value === undefined || value === null) return null;
  if (typeof value === "string") return value;
  if (isJsonObject(value) && typeof value.content === "string") return value.content;
  throw new ModelFileError(
    file,
    `expected a token string or {"content": ...}, found ${describeValue(value)}`,
    key,
  );
}

/** The "tool_use" entry of a list-form chat_template, if any (checked as a whole by {@link chatTemplateOf}). */
function toolUseTemplateOf(config: JsonObject): string | undefined {
  const value = config.chat_template;
  if (!Array.isArray(value)) return undefined;
  for (const entry of value) {
    if (isJsonObject(entry) && entry.name === "tool_use" && typeof entry.template === "string")
      return entry.template;
  }
  return undefined;
}

function chatTemplateOf(config: JsonObject, file: string): string | null {
  const value = config.chat_template;
  if (value === undefined || value === null) return null;
  if (typeof value === "string") return value;
  // Several named templates: transformers uses the one called "default".
  if (Array.isArray(value)) {
    for (const entry of value) {
      if (isJsonObject(entry) && entry.name === "default" && typeof entry.template === "string")
        return entry.template;
    }
  }
  throw new ModelFileError(
    file,
    `expected a template string or a list with a "default" entry, found ${describeValue(value)}`,
    "chat_template",
  );
}

function booleanField(config: JsonObject, key: string, fallback: boolean, file: string): boolean {
  const value = config[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "boolean")
    throw new ModelFileError(file, `expected true or false, found ${describeValue(value)}`, key);
  return value;
}

/** Validate and normalise a parsed `tokenizer_config.json`. */
export function parseTokenizerSettings(json: unknown, file: string): TokenizerSettings {
  const config = expectObject(json, file);
  const additional = config.additional_special_tokens;
  const additionalSpecialTokens: string[] = [];
  if (additional !== undefined && additional !== null) {
    if (!Array.isArray(additional)) {
      throw new ModelFileError(
        file,
        `expected a list, found ${describeValue(additional)}`,
        "additional_special_tokens",
      );
    }
    for (const [index, entry] of additional.entries()) {
      const content = typeof entry === "string" ? entry : isJsonObject(entry) ? entry.content : undefined;
      if (typeof content !== "string") {
        throw new ModelFileError(
          file,
          `expected a token string, found ${describeValue(entry)}`,
          `additional_special_tokens[${index}]`,
        );
      }
      additionalSpecialTokens.push(content);
    }
  }
  const maxLength = config.model_max_length;
  const toolUse = toolUseTemplateOf(config);
  return {
    bosToken: tokenString(config, "bos_token", file),
    eosToken: tokenString(config, "eos_token", file),
    padToken: tokenString(config, "pad_token", file),
    unkToken: tokenString(config, "unk_token", file),
    additionalSpecialTokens,
    addBosToken: booleanField(config, "add_bos_token", false, file),
    addEosToken: booleanField(config, "add_eos_token", false, file),
    cleanUpTokenizationSpaces: booleanField(config, "clean_up_tokenization_spaces", false, file),
    // Some configs store a huge float sentinel (1e30) meaning "no limit".
    modelMaxLength: typeof maxLength === "number" && Number.isSafeInteger(maxLength) ? maxLength : null,
    chatTemplate: chatTemplateOf(config, file),
    ...(toolUse === undefined ? {} : { toolUseChatTemplate: toolUse }),
  };
}

export interface CreateTokenizerOptions {
  /** Names used in error messages. */
  tokenizerFile?: string;
  configFile?: string;
  /** Overrides the config's `chat_template` (e.g. the contents of `chat_template.jinja`). */
  chatTemplate?: string | null;
}

/** Build a tokenizer from the parsed JSON of `tokenizer.json` and `tokenizer_config.json`. */
export function createTokenizer(
  tokenizerJson: unknown,
  tokenizerConfig: unknown,
  options: CreateTokenizerOptions = {},
): ModelTokenizer {
  const tokenizerFile = options.tokenizerFile ?? TOKENIZER_FILE;
  const configFile = options.configFile ?? TOKENIZER_CONFIG_FILE;
  const tokenizerObject = expectObject(tokenizerJson, tokenizerFile);
  const configObject = expectObject(tokenizerConfig, configFile);
  const settings = parseTokenizerSettings(configObject, configFile);
  if (options.chatTemplate !== undefined) {
    // chat_template.jinja (or the caller's template) replaces the config's templates, its tool_use one too.
    settings.chatTemplate = options.chatTemplate;
    delete settings.toolUseChatTemplate;
  }
  // transformers 5 skips clean_up_tokenization_spaces for a BPE model (it was made for WordPiece and strips
  // real spaces before punctuation: Llama 3's config sets it, and "Hello , world" decoded as "Hello, world"),
  // unless the config insists with clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output.
  const model = isJsonObject(tokenizerObject.model) ? tokenizerObject.model : {};
  if (
    model.type === "BPE" &&
    configObject.clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output !== true
  )
    settings.cleanUpTokenizationSpaces = false;

  let tokenizer: Tokenizer;
  try {
    // A shallow copy: the library needs `added_tokens` (optional in some files) and must not
    // change the caller's object. It reads clean-up from the config with a default of true; pin
    // that to our setting.
    const added = Array.isArray(tokenizerObject.added_tokens) ? tokenizerObject.added_tokens : [];
    tokenizer = new Tokenizer(
      { ...tokenizerObject, added_tokens: added },
      {
        ...configObject,
        clean_up_tokenization_spaces: settings.cleanUpTokenizationSpaces,
      },
    );
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ModelFileError(tokenizerFile, `cannot build the tokenizer (${reason})`);
  }

  const specialTokens = new Map<string, number>();
  for (const [id, token] of tokenizer.get_added_tokens_decoder()) {
    if (token.special) specialTokens.set(token.content, id);
  }
  const idOf = (token: string | null): number | null =>
    token === null ? null : (tokenizer.token_to_id(token) ?? null);
  const bosTokenId = idOf(settings.bosToken);
  const eosTokenId = idOf(settings.eosToken);
  const padTokenId = idOf(settings.padToken);

  const templateTokens: ChatTemplateTokens = {
    bosToken: settings.bosToken,
    eosToken: settings.eosToken,
    padToken: settings.padToken,
    unkToken: settings.unkToken,
    additionalSpecialTokens: settings.additionalSpecialTokens,
  };
  const chatTemplate =
    settings.chatTemplate === null
      ? null
      : compileChatTemplate(settings.chatTemplate, configFile, templateTokens);
  const toolUseTemplate =
    settings.toolUseChatTemplate === undefined
      ? null
      : compileChatTemplate(settings.toolUseChatTemplate, `${configFile} (tool_use)`, templateTokens);

  let fingerprint: string | undefined;
  const encode = (text: string, encodeOptions: EncodeOptions = {}): number[] => {
    // The library turns null or a number into [] without a word; an empty prompt then fails far from here.
    if (typeof text !== "string")
      throw new ModelFileError(tokenizerFile, `encode: text must be a string, found ${describeValue(text)}`);
    checkOptions(encodeOptions, ENCODE_OPTIONS, "encode");
    const addSpecial = encodeOptions.addSpecialTokens ?? false;
    const ids = tokenizer.encode(text, { add_special_tokens: addSpecial }).ids;
    if (addSpecial && settings.addBosToken && bosTokenId !== null && ids[0] !== bosTokenId)
      ids.unshift(bosTokenId);
    if (addSpecial && settings.addEosToken && eosTokenId !== null && ids[ids.length - 1] !== eosTokenId)
      ids.push(eosTokenId);
    return ids;
  };
  const checkOptions = (options: unknown, known: readonly string[], where: string): void => {
    if (!isJsonObject(options))
      throw new ModelFileError(
        tokenizerFile,
        `${where}: options must be an object, found ${describeValue(options)}`,
      );
    refuseUnknownOptions(options, known, where, (m) => new ModelFileError(tokenizerFile, m));
  };
  /**
   * The ids to decode. The library drops an id it has no token for (1e6, -1) and reports a fractional one as
   * "must be a non-empty array"; both are refused here by index. With `skipIdsWithoutToken`, integer ids the
   * vocabulary lacks are dropped on purpose (a model's LM head is often padded past the tokenizer).
   */
  const checkedIds = (ids: unknown, skipIdsWithoutToken: boolean): number[] => {
    if (!Array.isArray(ids) && !ArrayBuffer.isView(ids))
      throw new ModelFileError(
        tokenizerFile,
        `decode: ids must be an array of token ids, found ${describeValue(ids)}`,
      );
    const list = Array.from(ids as ArrayLike<unknown>);
    const out: number[] = [];
    for (const [index, id] of list.entries()) {
      if (typeof id !== "number" || !Number.isInteger(id) || id < 0) {
        throw new ModelFileError(
          tokenizerFile,
          `decode: ids[${index}] = ${describeValue(id)} is not a token id (an integer >= 0)`,
        );
      }
      if (tokenizer.id_to_token(id) === undefined) {
        if (skipIdsWithoutToken) continue;
        throw new ModelFileError(
          tokenizerFile,
          `decode: ids[${index}] = ${id} has no token in this tokenizer (vocabulary of ${vocabSize}); pass skipIdsWithoutToken to drop such ids`,
        );
      }
      out.push(id);
    }
    return out;
  };
  const renderChat = (messages: readonly ChatMessage[], renderOptions?: RenderChatOptions): string => {
    if (chatTemplate === null)
      throw new ModelFileError(configFile, "this tokenizer has no chat_template", "chat_template");
    // transformers' choice: the "tool_use" template when tools are passed and the config has one.
    const tools =
      isJsonObject(renderOptions) && isJsonObject(renderOptions.variables)
        ? renderOptions.variables.tools
        : undefined;
    const template =
      toolUseTemplate !== null && tools !== undefined && tools !== null ? toolUseTemplate : chatTemplate;
    return template.render(messages, renderOptions);
  };

  const vocabSize = tokenizer.get_vocab(true).size;
  return {
    settings,
    vocabSize,
    specialTokens,
    bosTokenId,
    eosTokenId,
    padTokenId,
    chatTemplate,
    encode,
    decode: (ids, decodeOptions = {}) => {
      checkOptions(decodeOptions, DECODE_OPTIONS, "decode");
      const known = checkedIds(ids, decodeOptions.skipIdsWithoutToken ?? false);
      // The library refuses an empty id list; an empty sequence decodes to the empty string (decode(encode("")) === "").
      return known.length === 0
        ? ""
        : tokenizer.decode(known, {
            skip_special_tokens: decodeOptions.skipSpecialTokens ?? false,
            clean_up_tokenization_spaces: settings.cleanUpTokenizationSpaces,
          });
    },
    idToToken: (id) => tokenizer.id_to_token(id),
    tokenToId: (token) => tokenizer.token_to_id(token),
    requireTokenId(token) {
      const id = tokenizer.token_to_id(token);
      if (id === undefined) throw new ModelFileError(tokenizerFile, `no token "${token}" in the vocabulary`);
      return id;
    },
    renderChat,
    encodeChat: (messages, renderOptions) => encode(renderChat(messages, renderOptions)),
    fingerprint() {
      if (fingerprint === undefined) {
        const hash = createHash("sha256");
        hash.update(JSON.stringify(tokenizerObject));
        hash.update("\u0000chat_template\u0000");
        hash.update(settings.chatTemplate ?? "");
        // Only when there is one, so the fingerprints of every other tokenizer stay as they were.
        if (settings.toolUseChatTemplate !== undefined)
          hash.update(`\u0000tool_use\u0000${settings.toolUseChatTemplate}`);
        fingerprint = hash.digest("hex");
      }
      return fingerprint;
    },
  };
}

/**
 * Load `<dir>/tokenizer.json` and `<dir>/tokenizer_config.json` (optional: without it there are no
 * special-token strings and no chat template), and `<dir>/chat_template.jinja` when present.
 */
export async function loadTokenizer(dir: string): Promise<ModelTokenizer> {
  const tokenizerFile = path.join(dir, TOKENIZER_FILE);
  const configFile = path.join(dir, TOKENIZER_CONFIG_FILE);
  const templateFile = path.join(dir, CHAT_TEMPLATE_FILE);
  const tokenizerJson = await readJsonFile(tokenizerFile);
  const tokenizerConfig = (await isFile(configFile)) ? await readJsonFile(configFile) : {};
  const chatTemplate = (await isFile(templateFile)) ? await readFile(templateFile, "utf8") : undefined;
  return createTokenizer(tokenizerJson, tokenizerConfig, {
    tokenizerFile,
    configFile: chatTemplate === undefined ? configFile : templateFile,
    ...(chatTemplate === undefined ? {} : { chatTemplate }),
  });
}
