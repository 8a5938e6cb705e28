import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { selectCodeFiles, type HeadCode } from '../core/index.js';

const exec = promisify(execFile);

/**
 * The head commit's code files for the code-reference scan (SQL query files, ORM models, source
 * with SQL strings), within the scan's limits: sizes from `git ls-tree -l`, contents from one
 * `git cat-file --batch`.
 */
export async function headCodeFromGit(repo: string, commit: string): Promise<HeadCode> {
  const { stdout } = await exec('git', ['-C', repo, 'ls-tree', '-r', '-l', '-z', commit], { maxBuffer: 256 * 1024 * 1024 });
  const entries = stdout
    .split('\0')
    .filter(Boolean)
    .flatMap((line) => {
      const m = /^\d+ blob \S+\s+(\d+)\t(.*)$/s.exec(line);
      return m ? [{ path: m[2]!, size: Number(m[1]) }] : [];
    });
  const { paths, capped } = selectCodeFiles(entries);
  const contents = await catFiles(
    repo,
    paths.map((p) => `${commit}:${p}`),
  );
  return { files: paths.map((path, i) => ({ path, content: contents[i] ?? '' })), ...(capped ? { capped } : {}) };
}

/** Contents of many blobs through one `git cat-file --batch` process, in order. */
function catFiles(repo: string, objects: string[]): Promise<string[]> {
  if (objects.length === 0) return Promise.resolve([]);
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-C', repo, 'cat-file', '--batch'], { stdio: ['pipe', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', () => resolve(splitBatch(Buffer.concat(chunks))));
    child.stdin.end(`${objects.join('\n')}\n`);
  });
}

/** `<sha> blob <size>\n<bytes>\n` records (`<object> missing\n` for none), as text. */
function splitBatch(out: Buffer): string[] {
  const contents: string[] = [];
  let at = 0;
  while (at < out.length) {
    const eol = out.indexOf(10, at);
    const header = out.subarray(at, eol).toString('utf8').split(' ');
    // `<object> missing` has no body; any object, even an empty one, is followed by a newline.
    const found = header[1] !== 'missing';
    const size = found ? Number(header[2]) : 0;
    contents.push(out.subarray(eol + 1, eol + 1 + size).toString('utf8'));
    at = eol + 1 + (found ? size + 1 : 0);
  }
  return contents;
}
