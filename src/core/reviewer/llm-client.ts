import type OpenAI from 'openai';
import type { ReviewerConfig } from '../config.js';
import { DrillbotError } from '../errors.js';

export interface LlmMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/** One structured-output request: the answer must be JSON matching `schema`. */
export interface LlmRequest {
  readonly messages: readonly LlmMessage[];
  readonly schemaName: string;
  /** A JSON schema in the strict subset (every property required, no additional properties). */
  readonly schema: Record<string, unknown>;
  /** Cap on the answer's tokens. */
  readonly maxTokens: number;
}

export interface LlmResponse {
  /** The raw text of the answer: parsed and validated by the caller, never trusted. */
  readonly content: string;
  readonly tokens: { readonly prompt: number; readonly completion: number };
}

/** The reviewer's one door to a model; tests and other vendors inject their own. */
export interface LlmClient {
  readonly model: string;
  complete(request: LlmRequest, signal: AbortSignal): Promise<LlmResponse>;
}

/** The model could not be reached or did not answer in time; the checklist falls back to people. */
export class LlmUnavailableError extends DrillbotError {
  readonly code = 'llm-unavailable';
}

/** The default model when neither `reviewer.model` nor OPENAI_MODEL names one. */
export const DEFAULT_MODEL = 'gpt-4o-mini';

/**
 * The OpenAI client for the configuration and environment, or null when no model is configured:
 * the key comes only from OPENAI_API_KEY (never from the repository's config), the endpoint from
 * `reviewer.baseUrl` or OPENAI_BASE_URL (Azure OpenAI's `…/openai/v1/`, Ollama, vLLM, …). A local
 * server without a key is configured by its base URL alone.
 */
export function llmClientFromEnvironment(config: ReviewerConfig, env: NodeJS.ProcessEnv = process.env): LlmClient | null {
  if (!config.enabled) return null;
  const apiKey = env.OPENAI_API_KEY || undefined;
  const baseUrl = config.baseUrl ?? (env.OPENAI_BASE_URL || undefined);
  if (!apiKey && !baseUrl) return null;
  return createOpenAiClient({ apiKey, baseUrl, model: config.model ?? (env.OPENAI_MODEL || DEFAULT_MODEL), timeoutMs: config.timeoutMs });
}

export interface OpenAiClientOptions {
  readonly apiKey?: string;
  readonly baseUrl?: string;
  readonly model: string;
  readonly timeoutMs: number;
  /** Retries of connection errors and 429/5xx by the SDK (a timeout is not retried: the budget is spent). */
  readonly maxRetries?: number;
}

/** The SDK, loaded at the first request: importing it takes about 0.4 s, which a review that asks no model does not pay. */
let sdk: Promise<typeof OpenAI> | undefined;
const loadSdk = (): Promise<typeof OpenAI> => (sdk ??= import('openai').then((m) => m.default));

/** A chat-completions client with `response_format: json_schema` (structured output). */
export function createOpenAiClient(opts: OpenAiClientOptions): LlmClient {
  const azure = opts.baseUrl !== undefined && /\.(openai\.azure\.com|cognitiveservices\.azure\.com)/i.test(opts.baseUrl);
  let client: Promise<OpenAI> | undefined;
  const connect = (): Promise<OpenAI> => (client ??= loadSdk().then((Sdk) => newSdkClient(Sdk, opts, azure)));
  // api.openai.com wants max_completion_tokens (reasoning models reject max_tokens); compatible servers know max_tokens.
  const isOpenAi = opts.baseUrl === undefined || azure || /api\.openai\.com/.test(opts.baseUrl);
  return {
    model: opts.model,
    async complete(request, signal) {
      const openai = await connect();
      try {
        const response = await openai.chat.completions.create(
          {
            model: opts.model,
            messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
            response_format: { type: 'json_schema', json_schema: { name: request.schemaName, strict: true, schema: request.schema } },
            ...(isOpenAi ? { max_completion_tokens: request.maxTokens } : { max_tokens: request.maxTokens }),
          },
          { signal, timeout: opts.timeoutMs, maxRetries: signal.aborted ? 0 : undefined },
        );
        return {
          content: response.choices[0]?.message?.content ?? '',
          tokens: { prompt: response.usage?.prompt_tokens ?? 0, completion: response.usage?.completion_tokens ?? 0 },
        };
      } catch (error) {
        throw new LlmUnavailableError(describeError(error, await loadSdk(), opts.timeoutMs), { cause: error });
      }
    },
  };
}

function newSdkClient(Sdk: typeof OpenAI, opts: OpenAiClientOptions, azure: boolean): OpenAI {
  return new Sdk({
    // Local OpenAI-compatible servers take any key; the SDK insists on one.
    apiKey: opts.apiKey ?? 'not-needed',
    baseURL: opts.baseUrl,
    timeout: opts.timeoutMs,
    maxRetries: opts.maxRetries ?? 1,
    // Azure OpenAI's v1 endpoint accepts the key in `api-key` as well as a bearer token.
    ...(azure && opts.apiKey ? { defaultHeaders: { 'api-key': opts.apiKey } } : {}),
  });
}

/** The SDK's error in plain words, without headers or keys. */
function describeError(error: unknown, Sdk: typeof OpenAI, timeoutMs: number): string {
  // The only signal the reviewer passes is its time limit, so an abort is a timeout too.
  if (error instanceof Sdk.APIConnectionTimeoutError || error instanceof Sdk.APIUserAbortError) {
    return `the model did not answer within ${Math.round(timeoutMs / 100) / 10} s (reviewer.timeout)`;
  }
  if (error instanceof Sdk.APIError) return `the model endpoint answered ${error.status ?? 'without a status'}: ${error.message.split('\n')[0].slice(0, 200)}`;
  return `the model endpoint could not be reached: ${error instanceof Error ? error.message : String(error)}`;
}
