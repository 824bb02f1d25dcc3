import { UserError } from '../errors';
import { demoCommand } from './demo-command';
import { exportCommand } from './export-command';
import { USAGE } from './help';
import { queryCommand } from './query-command';
import { simulateCommand } from './simulate-command';

const EXIT_FAILURE = 1;

/** Runs one CLI command and returns its exit code. User errors print one line; anything else, a short reason. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const io = { environment: process.env, stdout: process.stdout, stderr: process.stderr, now: Date.now };
  try {
    switch (command) {
      case 'export':
        return await exportCommand(rest, io);
      case 'demo':
        return await demoCommand(rest, io);
      case 'simulate':
        return await simulateCommand(rest, io);
      case 'query':
        return await queryCommand(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        process.stderr.write(
          `error-tracking-export: unknown command ${JSON.stringify(command)}; run error-tracking-export --help\n`,
        );
        return 2;
    }
  } catch (error) {
    if (error instanceof UserError) {
      process.stderr.write(`error-tracking-export: ${error.message}\n`);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    process.stderr.write(`error-tracking-export: failed: ${message}\n`);
    if (process.env.ERROR_TRACKING_EXPORT_DEBUG && error instanceof Error)
      process.stderr.write(`${error.stack}\n`);
    return EXIT_FAILURE;
  }
}
