/*
 * Logging (winston): one logger for the process, lines of `time level [module] message` on stderr so
 * that stdout stays free for command output. `--log-level` takes a winston level name.
 */
import winston from 'winston';

const LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LEVELS)[number];

export function isLogLevel(s: string): s is LogLevel {
  return (LEVELS as readonly string[]).includes(s);
}

export const logger = winston.createLogger({
  level: 'info',
  format: winston.format.combine(
    winston.format.timestamp(),
    winston.format.printf(
      (i) =>
        `${String(i.timestamp)} ${i.level} ${i.module ? `[${String(i.module)}] ` : ''}${String(i.message)}`,
    ),
  ),
  transports: [new winston.transports.Console({ stderrLevels: [...LEVELS] })],
});

export function setLogLevel(level: LogLevel): void {
  logger.level = level;
}

export function moduleLogger(module: string): winston.Logger {
  return logger.child({ module });
}
