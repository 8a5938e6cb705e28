import { DEFAULT_CONFIG } from '../../src/core/config.js';
import { createUrlProvider } from '../../src/core/drill/providers/index.js';
import { review } from '../../src/core/review.js';
import { LOCAL_URL } from '../support/drill.js';
import { corpusChangeSet, loadCorpus, HATCHET } from '../support/corpus.js';
it('prog', async () => {
  const t0 = performance.now(); const lines: string[] = [];
  let last = t0;
  await review({ changeSet: corpusChangeSet(loadCorpus(HATCHET), 161, 170), config: { migrations: { layout: 'goose' }, shadow: { ...DEFAULT_CONFIG.shadow, seedRows: 20 } }, provider: createUrlProvider(LOCAL_URL),
    onProgress: (m) => { const now = performance.now(); lines.push(`${((now - last) / 1000).toFixed(2)} (prev) | ${m}`); last = now; } });
  console.log(lines.join('\n'));
}, 300000);
