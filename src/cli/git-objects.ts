import { spawn } from 'node:child_process';
import { GitError } from '../core/index.js';

/** An object `git cat-file --batch` found: its id, type (blob, commit, tree, tag) and content. */
export interface GitObject {
  readonly id: string;
  readonly type: string;
  readonly content: Buffer;
}

interface Pending {
  resolve(object: GitObject | null): void;
  reject(error: Error): void;
}

/** `<id> <type> <size>`: any other header (`<name> missing`, `<name> ambiguous`) names no object. */
const FOUND = /^([0-9a-f]+) (\S+) (\d+)$/;

/**
 * One `git cat-file --batch` process for a whole review: commits, files and blobs are read by name
 * (`HEAD^{commit}`, `<commit>:<path>`, a blob id) in the order asked, without a process each
 * (each git process costs a review 5-20 ms). Each name is asked once: the base and the head share
 * most migrations' blobs, and the code scan reads the head's files again (a Lemmy review asked for
 * 1,400 objects, 467 of them distinct, at ~0.2 ms each). close() ends it.
 */
export class GitObjects {
  private readonly child;
  private readonly pending: Pending[] = [];
  private readonly asked = new Map<string, Promise<GitObject | null>>();
  private output: Buffer = Buffer.alloc(0);
  private stderr = '';
  private failure: GitError | null = null;

  constructor(repo: string) {
    this.child = spawn('git', ['-C', repo, 'cat-file', '--batch'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.output = this.output.length === 0 ? chunk : Buffer.concat([this.output, chunk]);
      this.answer();
    });
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    // Writing to a git that has exited fails with EPIPE; 'close' below says why it exited.
    this.child.stdin.on('error', () => undefined);
    this.child.on('error', (error) => this.fail(`git cat-file failed: ${error.message}`));
    this.child.on('close', (code) => this.fail(`git cat-file exited with ${code}: ${this.stderr.trim().split('\n')[0]}`));
  }

  /** The object `name` names, or null when there is none (as it was when first asked: a review reads one state of the repository). */
  read(name: string): Promise<GitObject | null> {
    if (this.failure) return Promise.reject(this.failure);
    let answer = this.asked.get(name);
    if (!answer) {
      answer = new Promise((resolve, reject) => {
        this.pending.push({ resolve, reject });
        this.child.stdin.write(`${name}\n`);
      });
      this.asked.set(name, answer);
    }
    return answer;
  }

  /** The id of the commit `ref` names, or null when it names none. */
  async commitId(ref: string): Promise<string | null> {
    return (await this.read(`${ref}^{commit}`))?.id ?? null;
  }

  /** Ends the process once it has answered what was asked. */
  close(): void {
    this.child.stdin.end();
  }

  /** Answers the oldest requests whose records have fully arrived. */
  private answer(): void {
    while (this.pending.length > 0) {
      const eol = this.output.indexOf(0x0a);
      if (eol < 0) return;
      const found = FOUND.exec(this.output.subarray(0, eol).toString());
      if (!found) {
        this.output = this.output.subarray(eol + 1);
        this.pending.shift()!.resolve(null);
        continue;
      }
      const size = Number(found[3]);
      // The content is followed by a newline, also when it is empty.
      if (this.output.length < eol + 1 + size + 1) return;
      const content = this.output.subarray(eol + 1, eol + 1 + size);
      this.output = this.output.subarray(eol + 1 + size + 1);
      this.pending.shift()!.resolve({ id: found[1]!, type: found[2]!, content });
    }
  }

  private fail(message: string): void {
    this.failure ??= new GitError(message);
    for (const request of this.pending.splice(0)) request.reject(this.failure);
  }
}
