/*
 * `ofdp demo`: builds a small lab (a bridge, an embedded MAC-learning controller, hosts in network
 * namespaces — or simulated hosts on dummy ports without root), pings between the hosts and shows
 * what the switch and the controller did. See src/demo/run-demo.ts.
 *
 * Exits after the pings when stdout is not a terminal (or with --once); on a terminal it keeps the
 * lab up until Ctrl-C so it can be poked with ovs-ofctl and ping. Exit code 0 when every ping was
 * answered, 1 when some were not, 2 for bad options.
 */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../usage-error.js';

interface DemoArgs {
  once?: boolean;
  hosts: number;
  count: number;
  simulate: boolean;
  controller?: string[];
  listen?: string[];
  rundir?: string;
  'controller-only'?: string;
  'log-level': string;
}

export const demoCommand: CommandModule<object, DemoArgs> = {
  command: 'demo',
  describe: 'Build a small lab with an embedded controller and watch ofdp forward pings',
  builder: (y: Argv) =>
    y
      .option('once', {
        type: 'boolean',
        describe: 'exit after the pings (default when stdout is not a terminal; --no-once keeps the lab up)',
      })
      .option('hosts', { type: 'number', default: 3, describe: 'number of hosts, 2 to 4' })
      .option('count', { type: 'number', default: 3, describe: 'echo requests per ping' })
      .option('simulate', {
        type: 'boolean',
        default: false,
        describe: 'simulated hosts on dummy ports even as root (also: OFDP_DEMO_FORCE_DUMMY=1)',
      })
      .option('controller', {
        type: 'string',
        array: true,
        describe: 'use this controller instead of the embedded one (tcp:IP[:PORT] | unix:PATH)',
      })
      .option('listen', { type: 'string', array: true, describe: 'extra listener, e.g. ptcp:6653' })
      .option('rundir', { type: 'string', describe: 'directory of the .mgmt socket' })
      .option('controller-only', {
        type: 'string',
        describe:
          'run only the embedded learning controller for any switch: ptcp:[PORT][:IP] | punix:PATH (wait) or tcp:IP[:PORT] | unix:PATH (dial)',
      })
      .option('log-level', { type: 'string', default: 'warn', describe: 'error | warn | info | debug' })
      .example('$0 demo', 'real lab as root, simulated hosts otherwise')
      .example('$0 demo --once --hosts 2', 'two hosts, exit after the pings')
      .example(
        '$0 demo --controller-only ptcp:6633',
        'a learning controller for ofdp run --controller tcp:127.0.0.1:6633',
      ) as Argv<DemoArgs>,
  handler: async (a) => {
    if (!Number.isInteger(a.hosts) || a.hosts < 2 || a.hosts > 4)
      throw new UsageError(`--hosts must be 2, 3 or 4 (got ${a.hosts})`);
    if (!Number.isInteger(a.count) || a.count < 1 || a.count > 100)
      throw new UsageError(`--count must be between 1 and 100 (got ${a.count})`);
    const { isLogLevel, setLogLevel } = await import('../../log.js');
    if (!isLogLevel(a['log-level']))
      throw new UsageError(`bad log level "${a['log-level']}" (use error, warn, info, debug)`);
    setLogLevel(a['log-level']);
    if (a['controller-only'] !== undefined) return controllerOnly(a['controller-only']);
    const { runDemo } = await import('../../demo/run-demo.js');
    const { ConfigError } = await import('../../bridge/run-config.js');
    // `ofdp demo | head` closes stdout early: stop printing, but still run and clean up the lab.
    let stdoutOpen = true;
    process.stdout.on('error', () => (stdoutOpen = false));
    let code: number;
    try {
      code = await runDemo({
        once: a.once ?? !process.stdout.isTTY,
        hosts: a.hosts,
        count: a.count,
        simulate: a.simulate,
        controllers: a.controller ?? [],
        listen: a.listen ?? [],
        ...(a.rundir === undefined ? {} : { rundir: a.rundir }),
        print: (line) => void (stdoutOpen && process.stdout.write(`${line}\n`)),
      });
    } catch (e) {
      if (e instanceof ConfigError || (e as Error).name === 'TargetError')
        throw new UsageError((e as Error).message);
      process.stderr.write(`ofdp demo: ${(e as Error).message}\n`);
      code = 1;
    }
    process.exitCode = code;
  },
};

/** `--controller-only TARGET`: the learning controller alone, printing its decisions, until a signal. */
async function controllerOnly(target: string): Promise<void> {
  const { serveController } = await import('../../demo/controller-tcp.js');
  const { formatEvent } = await import('../../demo/report.js');
  const names = new Map<number, string>();
  const print = (line: string) => process.stdout.write(`${line}\n`);
  let svc;
  try {
    svc = await serveController(target, {
      onEvent: (e) => {
        if (e.kind === 'features') {
          for (const p of e.ports) names.set(p.port_no, p.name);
          print(
            `switch dpid ${e.datapathId.toString(16).padStart(16, '0')} connected: ${e.ports.length} ports, n_buffers ${e.nBuffers}`,
          );
          return;
        }
        const line = formatEvent(e, names);
        if (line) print(line);
      },
    });
  } catch (e) {
    throw new UsageError(`cannot start the controller on ${target}: ${(e as Error).message}`);
  }
  print(`learning controller on ${svc.address} (Ctrl-C to stop)`);
  const running = svc;
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    void running.done.then(stop);
  });
  await running.close();
}
