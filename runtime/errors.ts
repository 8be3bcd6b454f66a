/**
 * A runtime part that cannot start because of what it was given (an address where nothing answers, a
 * port somebody else holds): bad input, so the CLI prints this one line and exits 2. Matched by name,
 * which survives the sandbox thread's boundary (runtime/sandbox.ts rebuilds errors by name).
 */
export class RuntimeInputError extends Error {
  override name = 'RuntimeInputError';
}

/** Error names the CLI reports as bad input (exit 2, one line, no stack trace). */
export const INPUT_ERROR_NAMES = new Set(['UsageError', 'ConfigError', 'WorldDirError', 'RuntimeInputError']);
