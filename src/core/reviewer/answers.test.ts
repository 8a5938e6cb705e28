import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { askModel } from './answers.js';
import { diskCache, memoryCache } from './cache.js';
import type { LlmClient, LlmRequest } from './llm-client.js';

const VALID = JSON.stringify({ answers: [{ id: 'a', status: 'pass', evidence: 'ok', path: null, line: null }], reverses: [] });

/** A client that answers from a list and records requests. */
function fakeClient(replies: string[]): LlmClient & { requests: LlmRequest[] } {
  const requests: LlmRequest[] = [];
  return {
    model: 'fake',
    requests,
    async complete(request) {
      requests.push(request);
      return { content: replies[Math.min(requests.length - 1, replies.length - 1)], tokens: { prompt: 10, completion: 5 } };
    },
  };
}

const messages = [{ role: 'user' as const, content: 'question' }];

describe('askModel', () => {
  it('returns a valid answer and caches it by content hash', async () => {
    const cache = memoryCache();
    const client = fakeClient([VALID]);
    const first = await askModel(client, messages, { cache, timeoutMs: 1000, maxAnswerTokens: 100 });
    const second = await askModel(client, messages, { cache, timeoutMs: 1000, maxAnswerTokens: 100 });
    expect(first).toMatchObject({ ok: true, cached: false, tokens: { prompt: 10, completion: 5 } });
    expect(second).toMatchObject({ ok: true, cached: true, tokens: { prompt: 0, completion: 0 } });
    expect(client.requests).toHaveLength(1);
    expect(client.requests[0].schema).toMatchObject({ additionalProperties: false, required: ['answers', 'reverses'] });
  });

  it('does not cache an invalid answer', async () => {
    const cache = memoryCache();
    const result = await askModel(fakeClient(['{}', '[]']), messages, { cache, timeoutMs: 1000, maxAnswerTokens: 100 });
    expect(result).toMatchObject({ ok: false, status: 'invalid-output', tokens: { prompt: 20, completion: 10 } });
    expect(cache.entries.size).toBe(0);
  });

  it('reports a client failure as unavailable, with secrets redacted', async () => {
    const client: LlmClient = { model: 'x', complete: async () => Promise.reject(new Error('connect postgres://u:hunter2@h/db failed')) };
    const result = await askModel(client, messages, { cache: memoryCache(), timeoutMs: 1000, maxAnswerTokens: 100 });
    expect(result).toMatchObject({ ok: false, status: 'unavailable' });
    expect(JSON.stringify(result)).not.toContain('hunter2');
  });

  it('keeps answers on disk across cache instances', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drillbot-cache-'));
    try {
      const client = fakeClient([VALID]);
      await askModel(client, messages, { cache: diskCache(dir), timeoutMs: 1000, maxAnswerTokens: 100 });
      const again = await askModel(client, messages, { cache: diskCache(dir), timeoutMs: 1000, maxAnswerTokens: 100 });
      expect(again).toMatchObject({ ok: true, cached: true });
      expect(client.requests).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
