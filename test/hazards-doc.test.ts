import { readFileSync } from 'node:fs';
import { defaultSeverity, HAZARDS } from '../src/core/hazards.js';

// docs/hazards.md is the contract of the JSON report: its table and the code must name the same
// hazards with the same default severities.
const table = readFileSync(new URL('../docs/hazards.md', import.meta.url), 'utf8')
  .split('\n')
  .flatMap((line) => {
    const match = /^\| `([a-z-]+)` \| (error|warning|notice) \|/.exec(line);
    return match ? [[match[1], match[2]] as const] : [];
  });

describe('docs/hazards.md', () => {
  it('lists every hazard of the code, in order, with its default severity', () => {
    expect(table).toEqual(HAZARDS.map((h) => [h, defaultSeverity(h)]));
  });
});
