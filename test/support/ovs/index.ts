/*
 * Reference switch harness: a real Open vSwitch (userspace datapath) beside ofdp, so a test or a
 * benchmark runs the same commands against both and compares (issue #5).
 *
 *   const ovs = await startOvs();                  // ~50 ms; private dir + netns + 2 daemons
 *   const br = await ovs.addBridge('pcbr');        // ~120 ms; netdev, OpenFlow10, fail_mode=secure,
 *                                                  // listener ptcp:26653:127.0.0.1 (in its netns)
 *   await ovs.addPort(br, host.port, 1);           // a veth end from Topology.host(); moved in
 *   const ofdp = ofctlSwitch(`tcp:127.0.0.1:${port}`);       // the switch under test
 *   const [o, d] = await Promise.all([br, ofdp].map((sw) => sw.ofctl('show')));
 *   expect(normalizeOfctl(o.stdout, showPlaceholders(o.stdout)))
 *     .toBe(normalizeOfctl(d.stdout, showPlaceholders(d.stdout)));
 *   await ovs.stop();                              // ~60 ms; in afterAll; idempotent, never rejects
 *
 * Pass `{ flowFormat: 'OpenFlow10' }` for dump-flows/dump-aggregate so OVS answers OFPST_FLOW as
 * ofdp does, not NXST_FLOW (clients.md §0).
 *
 * Pieces:
 *  - harness.ts   startOvs(), OvsHandle, OvsBridge (why a private namespace; what runs where)
 *  - lifecycle.ts private directory, guardian and stale sweep (cleanup even if the test dies)
 *  - ofctl.ts     ofctl()/ofctlSwitch(): one ovs-ofctl runner for OVS and ofdp (-O OpenFlow10, -t)
 *  - normalize.ts normalizeOfctl(): durations plus caller-named tokens, nothing else;
 *                 showPlaceholders(show) names those tokens from a switch's own `show`
 *  - tools.ts     runTool()/waitFor(): async child processes (ofdp may share this process)
 * ../netns.ts has Topology (namespaces + veth pairs with cleanup) for the hosts on both switches.
 *
 * For benchmarks: `handle.pids.vswitchd` for CPU sampling, `bridge.ofctl('add-flows', ['-'],
 * { input })` for flow-mod rates (ToolResult.ms is the tool's wall time), `setControllers(br,
 * ['unix:/path'])` to reach a controller in this process (TCP 127.0.0.1 inside the harness
 * namespace is private) — or `spawn()` the controller inside the namespace and point OVS at
 * tcp:127.0.0.1:PORT —, `appctl('dpif-netdev/pmd-stats-show')` etc. for datapath counters.
 * Nothing here imports vitest, so bench/*.bench.ts may import it.
 */
export {
  FIRST_LISTEN_PORT,
  startOvs,
  type BridgeOptions,
  type OvsBridge,
  type OvsHandle,
  type StartOvsOptions,
} from './harness.js';
export { cleanStale, listeningTcpPorts, netnsOf, processStartTime, runsFrom } from './lifecycle.js';
export {
  normalizeOfctl,
  showPlaceholders,
  showPorts,
  type NormalizeOptions,
  type ShowPort,
} from './normalize.js';
export { ofctl, ofctlSwitch, type OfctlOptions, type OfctlSwitch } from './ofctl.js';
export { runTool, waitFor, type ToolOptions, type ToolResult } from './tools.js';

/** Why OVS-backed tests cannot run here, or undefined when they can (print it loudly and skip). */
export { ovsUnavailableReason } from './available.js';
