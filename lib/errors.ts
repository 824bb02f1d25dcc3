/**
 * Errors a person can fix: a bad flag, a missing key, an unknown site, a malformed API response. The CLI
 * prints `message` as one line with no stack trace and exits with `exitCode`. Messages never contain secrets.
 */
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Invalid flags, environment variables or Lambda settings. */
export class ConfigError extends UserError {}
