/*
 * What the in-process bridge tests share: a controller connection that records what the bridge
 * sent (re-decoded from bytes, as a peer would see it), made alone or already connected; sending a
 * message through the same wire path a socket uses; a FLOW_MOD whose defaults a test overrides
 * field by field; and a bridge on dummy ports.
 */
import { Bridge, type BridgeOptions } from '../../src/bridge/bridge.js';
import { handleRaw } from '../../src/bridge/handle-message.js';
import { LocalConn } from '../../src/bridge/ofconn.js';
import { DummyDevice } from '../../src/netdev/dummy.js';
import { Netdev } from '../../src/netdev/netdev.js';
import type { OfpAction } from '../../src/openflow/actions.js';
import { decodeMessage, encodeMessage } from '../../src/openflow/codec.js';
import { OFPAT, OFPFC, OFPP, OFPT, OFP_NO_BUFFER } from '../../src/openflow/constants.js';
import { matchAll } from '../../src/openflow/match.js';
import type { MessageOf, OfpMessage } from '../../src/openflow/messages.js';

export type FlowMod = MessageOf<typeof OFPT.FLOW_MOD>;

/** A connection (primary unless said otherwise) whose sent messages land in `got`. */
export function conn(role: 'primary' | 'service' = 'primary'): { c: LocalConn; got: OfpMessage[] } {
  const got: OfpMessage[] = [];
  const c = new LocalConn((m) => got.push(decodeMessage(encodeMessage(m))), role);
  return { c, got };
}

/** conn(role), connected to `bridge`. */
export function connected(
  bridge: Bridge,
  role: 'primary' | 'service' = 'primary',
): { c: LocalConn; got: OfpMessage[] } {
  const x = conn(role);
  bridge.connect(x.c);
  return x;
}

/** `m` as the bridge receives it from a controller: encoded, then handled from the bytes. */
export const send = (b: Bridge, c: LocalConn, m: OfpMessage) => handleRaw(b, c, encodeMessage(m));

export const out = (port: number): OfpAction => ({ type: OFPAT.OUTPUT, port, max_len: 0 });

/** An ADD of a match-all flow at the default priority with `actions`; `extra` overrides any field. */
export function flowMod(actions: OfpAction[], extra: Partial<FlowMod> = {}): FlowMod {
  return {
    type: OFPT.FLOW_MOD,
    xid: 5,
    match: matchAll(),
    cookie: 0n,
    command: OFPFC.ADD,
    idle_timeout: 0,
    hard_timeout: 0,
    priority: 0x8000,
    buffer_id: OFP_NO_BUFFER,
    out_port: OFPP.NONE,
    flags: 0,
    actions,
    ...extra,
  };
}

/** A bridge with a dummy device per name (as ports 1, 2, … in order), each under its name. */
export function dummyBridge<N extends string>(
  opts: BridgeOptions,
  ...names: N[]
): { bridge: Bridge } & Record<N, DummyDevice> {
  const bridge = new Bridge(opts);
  const devs = {} as Record<N, DummyDevice>;
  for (const n of names) bridge.addPort(new Netdev((devs[n] = new DummyDevice(n))));
  return { bridge, ...devs };
}
