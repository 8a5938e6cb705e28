import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';

/** One canned reply: the assistant's message content, or a raw HTTP answer, after an optional delay. */
export type CannedReply = { content: string; delayMs?: number } | { status: number; body: unknown; delayMs?: number };

export interface FakeOpenAi {
  /** `http://127.0.0.1:<port>/v1`, for OPENAI_BASE_URL / reviewer.baseUrl. */
  readonly baseUrl: string;
  /** The JSON bodies of every POST /v1/chat/completions, in order. */
  readonly requests: ChatCompletionCreateParamsNonStreaming[];
  close(): Promise<void>;
}

/**
 * A local OpenAI-compatible server: POST /v1/chat/completions answers with the next canned reply
 * (the last one repeats), with token usage; anything else is a 404.
 */
export async function startFakeOpenAi(replies: CannedReply[]): Promise<FakeOpenAi> {
  const requests: ChatCompletionCreateParamsNonStreaming[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found' } }));
        return;
      }
      const body = JSON.parse(raw) as ChatCompletionCreateParamsNonStreaming;
      requests.push(body);
      const reply = replies[Math.min(requests.length - 1, replies.length - 1)];
      const send = () => {
        if (res.destroyed) return;
        if ('status' in reply) {
          res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
          return;
        }
        const completion = {
          id: `chatcmpl-${requests.length}`,
          object: 'chat.completion',
          created: 1_700_000_000,
          model: body.model,
          choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: reply.content, refusal: null } }],
          usage: { prompt_tokens: 1000 + requests.length, completion_tokens: 100, total_tokens: 1100 + requests.length },
        };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(completion));
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
