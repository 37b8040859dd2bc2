// A benchmark's measurement in a fresh Node process: the script runs itself with `--worker …` and prints its result
// as the last line of its output, in JSON.
import { spawnSync } from 'node:child_process';

/** Runs `script --worker …args` in a fresh Node (with tsx, and `nodeFlags`) and returns the JSON it printed last. */
export function runBenchWorker<T>(script: string, nodeFlags: readonly string[], args: readonly string[]): T {
  const child = spawnSync(process.execPath, [...nodeFlags, '-r', 'tsx/cjs', script, '--worker', ...args], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (child.status !== 0) {
    throw new Error(`worker failed (${child.status}): ${child.stderr}`);
  }
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as T;
}
