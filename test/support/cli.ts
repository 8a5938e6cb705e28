import { main } from '../../src/cli/main.js';

/** Runs the CLI in-process, as `bin/drillbot.js` would, and captures what it prints. */
export async function runCli(...argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const stream = (append: (text: string) => void) => ({ write: (text: string) => (append(text), true) }) as unknown as NodeJS.WritableStream;
  const status = await main(argv, { stdout: stream((t) => (stdout += t)), stderr: stream((t) => (stderr += t)) });
  return { status, stdout, stderr };
}
