import type { z as Zod } from 'zod';
import { redact } from '../errors.js';
import { cacheKey, type ReviewerCache } from './cache.js';
import type { LlmClient, LlmMessage } from './llm-client.js';

/** What the model must return; anything else is invalid output. */
const modelAnswerSchema = (z: typeof Zod) =>
  z.object({
    answers: z.array(
      z.object({
        id: z.string().min(1),
        status: z.enum(['pass', 'fail', 'needs-human']),
        evidence: z.string().min(1).max(4000),
        path: z.string().nullable(),
        line: z.number().int().nullable(),
      }),
    ),
    reverses: z.array(z.object({ version: z.string().min(1), sql: z.string().min(1).max(100_000) })),
  });

export type ModelAnswer = Zod.infer<ModelAnswerSchema>;
type ModelAnswerSchema = ReturnType<typeof modelAnswerSchema>;

// Built on first use: zod takes 0.1 s or more to load, and only a review with the reviewer on asks the model.
let schema: Promise<ModelAnswerSchema> | undefined;
const loadSchema = (): Promise<ModelAnswerSchema> => (schema ??= import('zod').then((m) => modelAnswerSchema(m.z)));

/** The same shape as a JSON schema in the strict subset structured output accepts. */
export const MODEL_ANSWER_JSON_SCHEMA: Record<string, unknown> = {
  type: 'object',
  additionalProperties: false,
  required: ['answers', 'reverses'],
  properties: {
    answers: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'status', 'evidence', 'path', 'line'],
        properties: {
          id: { type: 'string' },
          status: { type: 'string', enum: ['pass', 'fail', 'needs-human'] },
          evidence: { type: 'string' },
          path: { type: ['string', 'null'] },
          line: { type: ['integer', 'null'] },
        },
      },
    },
    reverses: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['version', 'sql'],
        properties: { version: { type: 'string' }, sql: { type: 'string' } },
      },
    },
  },
};

export type Asked =
  { ok: true; answer: ModelAnswer; tokens: Tokens; cached: boolean } | { ok: false; status: 'invalid-output' | 'unavailable'; problem: string; tokens: Tokens };

export interface Tokens {
  readonly prompt: number;
  readonly completion: number;
}

export interface AskOptions {
  readonly cache: ReviewerCache;
  readonly timeoutMs: number;
  /** Cap on each answer's tokens. */
  readonly maxAnswerTokens: number;
}

/** Bumped when the prompt or schema changes meaning, so old cached answers are not reused. */
const CACHE_VERSION = 1;

/**
 * Asks the model for structured output, validated with zod. An invalid answer gets one repair
 * request that quotes the problems; a second invalid answer, a timeout or an unreachable endpoint
 * is returned as such (the items then read needs-human). Valid answers are cached by the hash of
 * model, prompt and schema, so a re-run without changes makes no call.
 */
export async function askModel(client: LlmClient, messages: readonly LlmMessage[], opts: AskOptions): Promise<Asked> {
  const key = cacheKey({ v: CACHE_VERSION, model: client.model, messages, schema: MODEL_ANSWER_JSON_SCHEMA });
  const answerSchema = await loadSchema();
  const validate = (content: string | undefined) => validated(answerSchema, content);
  const hit = validate(await opts.cache.get(key));
  if (hit.ok) return { ok: true, answer: hit.answer, tokens: { prompt: 0, completion: 0 }, cached: true };
  const tokens = { prompt: 0, completion: 0 };
  const call = async (conversation: readonly LlmMessage[]) => {
    const response = await client.complete(
      { messages: conversation, schemaName: 'drillbot_review', schema: MODEL_ANSWER_JSON_SCHEMA, maxTokens: opts.maxAnswerTokens },
      AbortSignal.timeout(opts.timeoutMs),
    );
    tokens.prompt += response.tokens.prompt;
    tokens.completion += response.tokens.completion;
    return response.content;
  };
  try {
    const first = await call(messages);
    let result = validate(first);
    if (!result.ok) {
      const repair: LlmMessage = {
        role: 'user',
        content: `Your reply is not valid: ${result.problem}. Reply again with JSON only, matching the schema, answering every listed item.`,
      };
      result = validate(await call([...messages, { role: 'assistant', content: first }, repair]));
      if (!result.ok) return { ok: false, status: 'invalid-output', problem: `the model's answer was invalid twice (${result.problem})`, tokens };
    }
    await opts.cache.set(key, JSON.stringify(result.answer));
    return { ok: true, answer: result.answer, tokens, cached: false };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    return {
      ok: false,
      status: 'unavailable',
      problem: redact(timedOut ? `the model did not answer within ${opts.timeoutMs} ms (reviewer.timeout)` : message),
      tokens,
    };
  }
}

function validated(schema: ModelAnswerSchema, content: string | undefined): { ok: true; answer: ModelAnswer } | { ok: false; problem: string } {
  if (content === undefined) return { ok: false, problem: 'no content' };
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch {
    return { ok: false, problem: 'the reply is not JSON' };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, answer: parsed.data };
  const problems = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  return { ok: false, problem: problems.join('; ') };
}
