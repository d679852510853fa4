/*
 * ovs-ofctl as a test client, identical for Open vSwitch and ofdp.
 *
 * A comparison test builds one `OfctlSwitch` per switch and runs the same command on both; the
 * only difference between them is the target string (and, for OVS, the namespace the command runs
 * in). Every run speaks OpenFlow 1.0 only (`-O OpenFlow10`, see clients.md §1) and carries
 * ovs-ofctl's own timeout (`-t`, rc 142 on expiry, clients.md §2) plus a hard kill a little later,
 * because ovs-ofctl otherwise blocks forever on a switch that never answers.
 */
import { runTool, type ToolOptions, type ToolResult } from './tools.js';

export interface OfctlOptions {
  /** ovs-ofctl's `-t` in seconds (default 10). */
  timeoutSec?: number;
  /** `-F FORMAT`, e.g. 'OpenFlow10' so dump-flows sends OFPST_FLOW on OVS too (clients.md §0). */
  flowFormat?: string;
  /** More global options placed before the command, e.g. ['--no-names'] or ['-vvconn']. */
  options?: readonly string[];
  /** Stdin for commands reading `-` (e.g. `add-flows TARGET -`). */
  input?: string | Buffer;
  /** Run inside this network namespace. */
  netns?: string;
  env?: Record<string, string>;
}

/** Runs `ovs-ofctl -O OpenFlow10 -t N [opts] ARGS…`; ARGS include the command and the target. */
export function ofctl(args: readonly string[], opts: OfctlOptions = {}): Promise<ToolResult> {
  const t = opts.timeoutSec ?? 10;
  const argv = ['-O', 'OpenFlow10', '-t', String(t)];
  if (opts.flowFormat) argv.push('-F', opts.flowFormat);
  if (opts.options) argv.push(...opts.options);
  argv.push(...args);
  const toolOpts: ToolOptions = { timeoutMs: (t + 5) * 1000 };
  if (opts.input !== undefined) toolOpts.input = opts.input;
  if (opts.netns) toolOpts.netns = opts.netns;
  if (opts.env) toolOpts.env = opts.env;
  return runTool('ovs-ofctl', argv, toolOpts);
}

/** Something ovs-ofctl can be pointed at: an OVS bridge or an ofdp listener. */
export interface OfctlSwitch {
  /** The ovs-ofctl target, e.g. `tcp:127.0.0.1:26653` or `unix:/run/ofdp/br0.mgmt`. */
  readonly target: string;
  /** Runs `ovs-ofctl … COMMAND TARGET ARGS…`. */
  ofctl(command: string, args?: readonly string[], opts?: OfctlOptions): Promise<ToolResult>;
}

/** An OfctlSwitch for `target`, run inside `netns` when given (defaults merged into each call). */
export function ofctlSwitch(target: string, defaults: OfctlOptions = {}): OfctlSwitch {
  return {
    target,
    ofctl: (command, args = [], opts = {}) => ofctl([command, target, ...args], { ...defaults, ...opts }),
  };
}
