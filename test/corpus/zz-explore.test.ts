import { drillCorpus, summary, OPENFGA, HARNESS, LEMMY, HATCHET } from '../support/corpus.js';
const W: Array<[string, any, number, number]> = JSON.parse(process.env.W ?? '[]').map(([n, b, e]: any) => [n, ({ OPENFGA, HARNESS, LEMMY, HATCHET } as any)[n], b, e]);

it('explore', async () => {
  for (const [n, c, b, e] of W) {
    const d = await drillCorpus(c, b, e);
    console.log(summary(`${n} ${b}+${b + 1}..${e}`, d) + '\n' + d.report.findings.filter((f) => !f.hazard.startsWith('blocking')).map((f) => `  ${f.hazard} #${d.indexOf(f)} ${f.path}:${f.line} ${f.message.slice(0, 400)}`).join('\n'));
  }
}, 600000);
