/**
 * Benchmark parts that measure memory run in their own `node --import tsx` process, so a peak RSS belongs
 * to one job only. Parent and child talk over the IPC channel: the parent sends one input message, the
 * child answers with one `result` (or `error`) message and exits.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export class BenchChildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

type ChildMessage = { type: 'result'; value: unknown } | { type: 'error'; message: string };

export interface ForkOptions {
  /** Extra V8 flags, e.g. a larger heap for a million rows held in memory. */
  readonly nodeFlags?: readonly string[];
  readonly timeoutMs?: number;
}

/** Starts `script` (a file next to this one) under tsx with an IPC channel. */
export function forkBenchScript(script: string, options: ForkOptions = {}): ChildProcess {
  return fork(fileURLToPath(new URL(script, import.meta.url)), [], {
    execArgv: ['--import', 'tsx', ...(options.nodeFlags ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
}

/** Waits for the next message of `type` from `child`; rejects when the child exits or reports an error. */
export function nextMessage<T>(child: ChildProcess, type: string, timeoutMs = 15 * 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (message: ChildMessage | { type: string; value?: unknown }) => {
      if (message.type === 'error') {
        cleanup();
        reject(new BenchChildError((message as { message: string }).message));
      } else if (message.type === type) {
        cleanup();
        resolve((message as { value: T }).value);
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      cleanup();
      reject(new BenchChildError(`benchmark child exited with ${signal ?? `code ${code}`} before "${type}"`));
    };
    const timer = setTimeout(() => {
      cleanup();
      child.kill('SIGKILL');
      reject(
        new BenchChildError(`benchmark child sent no "${type}" within ${Math.round(timeoutMs / 1000)} s`),
      );
    }, timeoutMs);
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** Runs a one-shot child: sends `input`, returns its result. */
export async function runBenchChild<T>(
  script: string,
  input: unknown,
  options: ForkOptions = {},
): Promise<T> {
  const child = forkBenchScript(script, options);
  try {
    const result = nextMessage<T>(child, 'result', options.timeoutMs);
    child.send({ type: 'input', value: input });
    return await result;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill();
  }
}

/** Child side: receives the input, runs `job`, reports its value or a one-line error, then exits. */
export function serveBenchChild<I, O>(job: (input: I) => Promise<O>): void {
  process.once('message', (message: { type: string; value: I }) => {
    job(message.value).then(
      (value) => process.send?.({ type: 'result', value }, () => process.exit(0)),
      (error: unknown) => {
        const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
        process.send?.({ type: 'error', message: text }, () => process.exit(1));
      },
    );
  });
}

/** Peak resident set size of this process so far, in bytes (`maxRSS` is in kilobytes). */
export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}
