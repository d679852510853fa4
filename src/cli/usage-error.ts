/** Thrown by a command for a problem with what the user asked: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
