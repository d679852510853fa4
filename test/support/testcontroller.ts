/*
 * ovs-testcontroller, Open vSwitch's learning-switch controller, as a watched child process: the
 * real controller the controllers-* and faults-* tests let drive ofdp.
 *
 * It refuses to start without a writable OVS_RUNDIR (its pidfile and unixctl socket go there, and
 * the default /var/run/openvswitch may not exist), so each caller names a private directory.
 * Passive ones (ptcp:) are returned once their socket listens, so ofdp's first dial finds them.
 */
import { waitListening } from './ofdp-run.js';
import { WatchedProcess } from './watched-process.js';

/** ovs-testcontroller for `target` (ptcp:… or tcp:…), with `opts` (e.g. -H, -w, -q 1) before it. */
export function ovsTestcontroller(
  target: string,
  rundir: string,
  opts: readonly string[] = [],
): WatchedProcess {
  return new WatchedProcess('ovs-testcontroller', 'ovs-testcontroller', [...opts, target], {
    env: { OVS_RUNDIR: rundir, OVS_LOGDIR: rundir },
  });
}

/** ovs-testcontroller listening on 127.0.0.1:`port`, resolved once it accepts connections. */
export async function listeningTestcontroller(
  port: number,
  rundir: string,
  opts: readonly string[] = [],
): Promise<WatchedProcess> {
  const tc = ovsTestcontroller(`ptcp:${port}:127.0.0.1`, rundir, opts);
  try {
    await waitListening(port, tc);
  } catch (e) {
    await tc.stop();
    throw e;
  }
  return tc;
}
