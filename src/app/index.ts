import type { ApplicationFunction } from 'probot';
import { defaultDeps, type AppDeps } from './deps.js';
import { onCheckRun, onCheckSuite, onIssueComment, onPullRequest } from './handlers.js';
import { startSweep } from './sweep.js';
import { taskRunner } from './tasks.js';

export type { AppDeps } from './deps.js';

/**
 * Refuses to start without WEBHOOK_SECRET outside development and tests: Probot would silently
 * fall back to the secret "development", and anyone could then forge webhooks.
 */
export function assertWebhookSecret(env: NodeJS.ProcessEnv = process.env): void {
  if (env.WEBHOOK_SECRET) return;
  if (env.NODE_ENV === 'development' || env.NODE_ENV === 'test') return;
  throw new Error(
    'Drillbot refuses to start: WEBHOOK_SECRET is not set. Set it to the webhook secret of the GitHub App (or NODE_ENV=development for local experiments).',
  );
}

/** The Probot app: handlers translate events into queued reviews; dependencies are injectable (and `deps` shows them, for the shutdown). */
export function createApp(deps: Partial<AppDeps> = {}): ApplicationFunction & { readonly deps: AppDeps } {
  assertWebhookSecret();
  const full: AppDeps = { ...defaultDeps(), ...deps };
  const appFn: ApplicationFunction = (app) => {
    full.queue.start(taskRunner(app, full), app.log);
    app.on(['pull_request.opened', 'pull_request.synchronize', 'pull_request.reopened', 'pull_request.ready_for_review'], onPullRequest(full));
    app.on(['check_run.rerequested', 'check_run.requested_action'], onCheckRun(full));
    app.on('check_suite.rerequested', onCheckSuite(full));
    app.on('issue_comment.created', onIssueComment(full));
    if (full.sweep) startSweep(app, full, full.sweep);
  };
  return Object.assign(appFn, { deps: full });
}

export default createApp();
