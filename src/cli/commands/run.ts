/*
 * `ofdp run`: one OpenFlow 1.0 bridge in the foreground until SIGINT/SIGTERM, then its ports are
 * released cleanly. Bad flags or config: one line naming the problem, exit code 2.
 */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../usage-error.js';

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
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run',
  describe: 'Run an OpenFlow 1.0 bridge in the foreground',
  builder: (y: Argv) =>
    y
      .option('config', { type: 'string', describe: 'JSON config file (flags override it)' })
      .option('bridge', { type: 'string', describe: 'bridge name (default br0)' })
      .option('dpid', {
        type: 'string',
        describe: 'datapath id, up to 16 hex digits (default: from the LOCAL MAC)',
      })
      .option('port', { type: 'string', array: true, describe: 'TYPE:NAME[=OFPORT], TYPE system|tap|dummy' })
      .option('controller', {
        type: 'string',
        array: true,
        describe: 'tcp:IP[:PORT] | ssl:IP[:PORT] | unix:PATH',
      })
      .option('listen', {
        type: 'string',
        array: true,
        describe: 'ptcp:[PORT][:IP] | pssl:[PORT][:IP] | punix:PATH',
      })
      .option('fail-mode', { type: 'string', describe: 'standalone (default) | secure | emergency' })
      .option('log-level', { type: 'string', describe: 'error | warn | info (default) | debug' })
      .option('rundir', {
        type: 'string',
        describe: 'directory of the .mgmt socket (default $OFDP_RUNDIR or /run/ofdp)',
      })
      .option('private-key', { type: 'string', describe: 'PEM private key for ssl:/pssl:' })
      .option('certificate', { type: 'string', describe: 'PEM certificate for ssl:/pssl:' })
      .option('ca-cert', { type: 'string', describe: 'PEM CA certificate peers must be signed by' })
      .option('rx-mode', {
        type: 'string',
        describe: 'system ports: mmsg (recvmmsg, lowest latency; default) | ring (TPACKET_V3, least CPU)',
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
