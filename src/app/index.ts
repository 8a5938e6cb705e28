import type { ApplicationFunction } from 'probot';
import { defaultDeps, type AppDeps } from './deps.js';
import { onCheckRun, onCheckSuite, onIssueComment, onPullRequest } from './handlers.js';
import { completeInterruptedRuns } from './recover.js';
import { taskRunner } from './tasks.js';

export type { AppDeps } from './deps.js';

/**
 * Refuses to start without WEBHOOK_SECRET outside development and tests: Probot would silently
 * fall back to the secret "development", and anyone could then forge webhooks.
 */
export function assertWebhookSecret(env: NodeJS.ProcessEnv = process.env): void {
  if (env.WEBHOOK_SECRET) return;
  if (env.NODE_ENV === 'development' || env.NODE_ENV === 'test') return;
  throw new Error('Drillbot refuses to start: WEBHOOK_SECRET is not set. Set it to the webhook secret of the GitHub App (or NODE_ENV=development for local experiments).');
}

/** The Probot app: handlers translate events into queued reviews; dependencies are injectable. */
export function createApp(deps: Partial<AppDeps> = {}): ApplicationFunction {
  assertWebhookSecret();
  const full: AppDeps = { ...defaultDeps(), ...deps };
  return (app) => {
    full.queue.start(taskRunner(app, full), app.log);
    app.on(['pull_request.opened', 'pull_request.synchronize', 'pull_request.reopened', 'pull_request.ready_for_review'], onPullRequest(full));
    app.on(['check_run.rerequested', 'check_run.requested_action'], onCheckRun(full));
    app.on('check_suite.rerequested', onCheckSuite(full));
    app.on('issue_comment.created', onIssueComment(full));
    if (full.recoverOnStart) {
      // In the background: the server must listen at once; a failure here only leaves what was there.
      void completeInterruptedRuns(app, app.log, full.appId, full.activeChecks).then(
        (n) => void (n > 0 && app.log.info(`drillbot: completed ${n} check run(s) left in progress by a restart`)),
        (error) => app.log.warn({ err: error }, 'drillbot: could not look for interrupted check runs'),
      );
    }
  };
}

export default createApp();
