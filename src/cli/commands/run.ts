/*
 * `ofdp run`: one OpenFlow 1.0 bridge in the foreground until SIGINT/SIGTERM, then its ports are
 * released cleanly. Bad flags or config: one line naming the problem, exit code 2.
 */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../usage-error.js';

/**
 * For flags that take one value: yargs turns a repeated flag into an array, which would otherwise
 * surface later as a confusing type error.
 */
function single<T>(flag: string): (v: T | T[]) => T {
  return (v) => {
    if (Array.isArray(v)) throw new UsageError(`--${flag} given more than once`);
    return v;
  };
}

interface RunArgs {
  config?: string;
  bridge?: string;
  dpid?: string;
  port?: string[];
  controller?: string[];
  listen?: string[];
  'fail-mode'?: string;
  'log-level'?: string;
  rundir?: string;
  local: boolean;
  'private-key'?: string;
  certificate?: string;
  'ca-cert'?: string;
  'rx-mode'?: string;
  'busy-poll'?: number;
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run',
  describe: 'Run an OpenFlow 1.0 bridge in the foreground',
  builder: (y: Argv) =>
    y
      .option('config', {
        requiresArg: true,
        coerce: single('config'),
        type: 'string',
        describe: 'JSON config file (flags override it)',
      })
      .option('bridge', {
        requiresArg: true,
        coerce: single('bridge'),
        type: 'string',
        describe: 'bridge name (default br0)',
      })
      .option('dpid', {
        requiresArg: true,
        coerce: single('dpid'),
        type: 'string',
        describe: 'datapath id, up to 16 hex digits (default: from the LOCAL MAC)',
      })
      .option('port', {
        requiresArg: true,
        type: 'string',
        array: true,
        describe: 'TYPE:NAME[=OFPORT], TYPE system|tap|dummy',
      })
      .option('controller', {
        requiresArg: true,
        type: 'string',
        array: true,
        describe: 'tcp:IP[:PORT] | ssl:IP[:PORT] | unix:PATH',
      })
      .option('listen', {
        requiresArg: true,
        type: 'string',
        array: true,
        describe: 'ptcp:[PORT][:IP] | pssl:[PORT][:IP] | punix:PATH',
      })
      .option('fail-mode', {
        requiresArg: true,
        coerce: single('fail-mode'),
        type: 'string',
        describe: 'standalone (default) | secure | emergency',
      })
      .option('log-level', {
        requiresArg: true,
        coerce: single('log-level'),
        type: 'string',
        describe: 'error | warn | info (default) | debug',
      })
      .option('rundir', {
        requiresArg: true,
        coerce: single('rundir'),
        type: 'string',
        describe: 'directory of the .mgmt socket (default $OFDP_RUNDIR or /run/ofdp)',
      })
      .option('private-key', {
        requiresArg: true,
        coerce: single('private-key'),
        type: 'string',
        describe: 'PEM private key for ssl:/pssl:',
      })
      .option('certificate', {
        requiresArg: true,
        coerce: single('certificate'),
        type: 'string',
        describe: 'PEM certificate for ssl:/pssl:',
      })
      .option('ca-cert', {
        requiresArg: true,
        coerce: single('ca-cert'),
        type: 'string',
        describe: 'PEM CA certificate peers must be signed by',
      })
      .option('rx-mode', {
        requiresArg: true,
        coerce: single('rx-mode'),
        type: 'string',
        describe: 'system ports: mmsg (recvmmsg, lowest latency; default) | ring (TPACKET_V3, least CPU)',
      })
      .option('busy-poll', {
        requiresArg: true,
        coerce: single('busy-poll'),
        type: 'number',
        describe: 'µs to keep polling after OpenFlow traffic before sleeping (default 50; 0 = off)',
      })
      .option('local', {
        type: 'boolean',
        default: true,
        describe: 'create the LOCAL port (--no-local to skip)',
      }) as Argv<RunArgs>,
  handler: async (a) => {
    const { resolveRunConfig, ConfigError } = await import('../../bridge/run-config.js');
    const { startSwitch } = await import('../../bridge/switch.js');
    const { isLogLevel, setLogLevel, logger } = await import('../../log.js');
    let sw;
    try {
      const cfg = resolveRunConfig({
        config: a.config,
        bridge: a.bridge,
        dpid: a.dpid,
        port: a.port,
        controller: a.controller,
        listen: a.listen,
        failMode: a['fail-mode'],
        logLevel: a['log-level'],
        rundir: a.rundir,
        privateKey: a['private-key'],
        certificate: a.certificate,
        caCert: a['ca-cert'],
        rxMode: a['rx-mode'],
        busyPoll: a['busy-poll'],
      });
      cfg.local = a.local;
      if (!isLogLevel(cfg.logLevel))
        throw new ConfigError(`bad log level "${cfg.logLevel}" (use error, warn, info, debug)`);
      setLogLevel(cfg.logLevel);
      sw = await startSwitch(cfg);
    } catch (e) {
      if (e instanceof ConfigError || (e as Error).name === 'TargetError')
        throw new UsageError((e as Error).message);
      throw e;
    }
    const running = sw;
    await new Promise<void>((resolve) => {
      const stop = (sig: string) => {
        logger.info(`${sig}: stopping`);
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
        running.stop().then(resolve, (e: unknown) => {
          logger.error(`while stopping: ${(e as Error).message}`);
          resolve();
        });
      };
      const onInt = () => stop('SIGINT');
      const onTerm = () => stop('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
    });
  },
};
