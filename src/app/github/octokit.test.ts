import { jest } from '@jest/globals';
import { isTransient, WRITE_RETRY, withRetries } from './octokit.js';

/** An error as Octokit throws it for an answered request. */
const requestError = (status: number, message = 'Server Error', headers: Record<string, string> = {}) =>
  Object.assign(new Error(message), { status, response: { headers } });

describe('withRetries', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** Runs `withRetries` against an API that answers 503 until `outageMs` have passed, on the fake clock. */
  async function through(outageMs: number) {
    const start = Date.now();
    const attempts: number[] = [];
    const done = withRetries(
      'a write',
      async () => {
        attempts.push(Date.now() - start);
        if (Date.now() - start < outageMs) throw requestError(503);
        return 'written';
      },
      WRITE_RETRY,
    ).then(
      (value) => ({ value }),
      (error: Error) => ({ error }),
    );
    await jest.advanceTimersByTimeAsync(WRITE_RETRY.deadlineMs + 60_000);
    return { outcome: await done, attempts };
  }

  it('survives a 90 s outage with the production policy, backing off up to 30 s between attempts', async () => {
    const { outcome, attempts } = await through(90_000);
    expect(outcome).toEqual({ value: 'written' });
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]);
    expect(gaps).toEqual([2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });

  it('gives up once the deadline would pass, with the last error', async () => {
    const { outcome, attempts } = await through(Number.POSITIVE_INFINITY);
    expect(outcome).toEqual({ error: expect.objectContaining({ status: 503 }) });
    expect(attempts.at(-1)).toBeLessThanOrEqual(WRITE_RETRY.deadlineMs);
  });

  it('waits as long as retry-after asks when that is longer than the back-off', async () => {
    let calls = 0;
    const done = withRetries(
      'a write',
      async () => {
        if (calls++ === 0) throw requestError(429, 'Too Many Requests', { 'retry-after': '45' });
        return Date.now();
      },
      WRITE_RETRY,
    );
    const start = Date.now();
    await jest.advanceTimersByTimeAsync(60_000);
    expect((await done) - start).toBe(45_000);
  });

  it('does not retry what fails the same way again', async () => {
    let calls = 0;
    await expect(
      withRetries(
        'a write',
        async () => {
          calls++;
          throw requestError(422, 'Validation Failed');
        },
        WRITE_RETRY,
      ),
    ).rejects.toMatchObject({ status: 422 });
    expect(calls).toBe(1);
  });
});

describe('isTransient', () => {
  it.each([
    [requestError(502), true],
    [requestError(500, 'fetch failed'), true],
    [requestError(429, 'Too Many Requests'), true],
    [requestError(403, 'You have exceeded a secondary rate limit.'), true],
    [requestError(403, 'API rate limit exceeded', { 'x-ratelimit-remaining': '0' }), true],
    [requestError(403, 'Resource not accessible by integration'), false],
    [requestError(404, 'Not Found'), false],
    [new TypeError('a bug'), false],
  ])('%s → %s', (error, transient) => expect(isTransient(error)).toBe(transient));
});
