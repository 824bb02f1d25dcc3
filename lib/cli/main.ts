import { UserError } from '../errors';
import { USAGE } from './help';

const EXIT_FAILURE = 1;

/** Runs one CLI command and returns its exit code. User errors print one line; anything else, a short reason. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const io = { environment: process.env, stdout: process.stdout, stderr: process.stderr, now: Date.now };
  // `export --help` asks for the usage, not for an export; one page covers every command.
  if (command !== undefined && (rest.includes('--help') || rest.includes('-h'))) {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    switch (command) {
      // Each command loads only its own modules: DuckDB and the AWS SDK are slow to import.
      case 'export':
        return await (await import('./export-command')).exportCommand(rest, io);
      case 'demo':
        return await (await import('./demo-command')).demoCommand(rest, io);
      case 'simulate':
        return await (await import('./simulate-command')).simulateCommand(rest, io);
      case 'query':
        return await (await import('./query-command')).queryCommand(rest, io);
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
