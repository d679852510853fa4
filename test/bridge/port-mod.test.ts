/*
 * PORT_MOD with bits OpenFlow 1.0 does not define, on ofdp and on a real Open vSwitch 3.1.
 *
 * OVS decodes an OpenFlow 1.0 PORT_MOD by masking config and mask with the seven defined OFPPC_*
 * bits (0x7f) and advertise with the twelve OFPPF_* bits, silently: no error, and a request whose
 * defined bits change nothing sends no PORT_STATUS. The PORT_STATUS a PORT_MOD causes goes to every
 * connection that asked for async messages except the sender (OpenFlow before 1.5 sends a
 * controller none for its own PORT_MOD). Measured here: the same sequence of PORT_MODs (raw bytes
 * over the management socket) against an OVS internal port and an ofdp dummy port, both connections
 * asking for async messages, the second watching PORT_STATUS, and FEATURES_REPLY read back after
 * each step; the sender must see no PORT_STATUS on either switch. OVS's
 * internal port starts administratively down and ofdp's dummy port up, so PORT_DOWN is left out of
 * every mask and of the comparison.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bridge } from '../../src/bridge/bridge.js';
import { LocalConn } from '../../src/bridge/ofconn.js';
import { errorName } from '../../src/openflow/decode-error.js';
import { OFPPC, OFPPF, OFPT } from '../../src/openflow/constants.js';
import type { MessageOf, OfpMessage } from '../../src/openflow/messages.js';
import { ovsUnavailableReason, startOvs, type OvsHandle } from '../support/ovs/index.js';
import { conn, dummyBridge, send } from './helpers.js';
import { OvsRawClient } from './ovs-raw-client.js';

const skip = ovsUnavailableReason();
if (skip) console.warn(`\n*** SKIPPING the Open vSwitch half of the PORT_MOD tests: ${skip} ***\n`);

/** [config, mask] of each PORT_MOD, applied in order to port 1. */
const STEPS: readonly (readonly [number, number])[] = [
  [0x80000000, 0x80000000],
  [0xffffff80, 0xffffff80],
  [0x80000000 | OFPPC.NO_FLOOD, 0x80000000 | OFPPC.NO_FLOOD],
  [0, 0x80000000],
  [0x80000000, 0x80000000 | OFPPC.NO_FLOOD],
  [0xffffffff & ~OFPPC.PORT_DOWN, 0xffffffff & ~OFPPC.PORT_DOWN],
  [0, 0xffffffff & ~OFPPC.PORT_DOWN],
];

const ALL_BUT_DOWN = 0x7f & ~OFPPC.PORT_DOWN;

interface Outcome {
  /** OpenFlow error names the PORT_MOD drew. */
  errors: string[];
  /** Configs (PORT_DOWN aside) of the PORT_STATUS messages the watching connection got. */
  statuses: number[];
  /** The same, for the connection that sent the PORT_MOD: always none. */
  senderStatuses: number[];
  /** Port 1's config (PORT_DOWN aside) in FEATURES_REPLY afterwards. */
  features: number;
}

/** What both switches answer, step by step. */
const EXPECTED: Outcome[] = [
  { errors: [], statuses: [], senderStatuses: [], features: 0 },
  { errors: [], statuses: [], senderStatuses: [], features: 0 },
  { errors: [], statuses: [OFPPC.NO_FLOOD], senderStatuses: [], features: OFPPC.NO_FLOOD },
  { errors: [], statuses: [], senderStatuses: [], features: OFPPC.NO_FLOOD },
  { errors: [], statuses: [0], senderStatuses: [], features: 0 },
  { errors: [], statuses: [ALL_BUT_DOWN], senderStatuses: [], features: ALL_BUT_DOWN },
  { errors: [], statuses: [0], senderStatuses: [], features: 0 },
];

const portMod = (hw_addr: number, config: number, mask: number, advertise = 0): OfpMessage => ({
  type: OFPT.PORT_MOD,
  xid: 0x33,
  port_no: 1,
  hw_addr,
  config,
  mask,
  advertise,
});

const errorsIn = (ms: readonly OfpMessage[]) =>
  ms.filter((m) => m.type === OFPT.ERROR).map((m) => errorName(m.err_type, m.code));
const statusesIn = (ms: readonly OfpMessage[]) =>
  ms.filter((m) => m.type === OFPT.PORT_STATUS).map((m) => m.desc.config & ~OFPPC.PORT_DOWN);
const port1 = (m: OfpMessage) =>
  (m as MessageOf<typeof OFPT.FEATURES_REPLY>).ports.find((p) => p.port_no === 1)!;

describe('PORT_MOD with undefined bits: ofdp gives the answers measured on Open vSwitch', () => {
  let bridge: Bridge;
  let ctl: { c: LocalConn; got: OfpMessage[] };
  let watch: { c: LocalConn; got: OfpMessage[] };

  beforeAll(async () => {
    ({ bridge } = dummyBridge({ name: 'pmb0', failMode: 'secure' }, 'p1'));
    ctl = conn('service');
    watch = conn('service');
    bridge.connect(ctl.c);
    bridge.connect(watch.c);
    // Both ask for async messages, as on OVS below: the sender is left out by rule, not by config.
    for (const x of [ctl, watch])
      await send(bridge, x.c, { type: OFPT.SET_CONFIG, xid: 1, flags: 0, miss_send_len: 128 });
    expect(ctl.c.receivesAsync).toBe(true);
  });

  const hw = () => bridge.phyPorts().find((p) => p.port_no === 1)!.hw_addr;

  it.each(STEPS.map((s, i) => ({ i, config: s[0], mask: s[1] })))(
    'step $i: config=$config mask=$mask',
    async ({ i, config, mask }) => {
      ctl.got.length = 0;
      watch.got.length = 0;
      await send(bridge, ctl.c, portMod(hw(), config, mask));
      await send(bridge, ctl.c, { type: OFPT.FEATURES_REQUEST, xid: 2 });
      const features = port1(ctl.got.find((m) => m.type === OFPT.FEATURES_REPLY)!).config;
      // The stored config holds no undefined bit, not even PORT_DOWN's neighbours.
      expect(features & ~0x7f).toBe(0);
      expect({
        errors: errorsIn(ctl.got),
        statuses: statusesIn(watch.got),
        senderStatuses: statusesIn(ctl.got),
        features: features & ~1,
      }).toEqual(EXPECTED[i]);
    },
  );

  it('advertise keeps only the OFPPF_* bits: 0x80000000 alone changes nothing', async () => {
    const { bridge: b, p1 } = dummyBridge({ name: 'pmb1', failMode: 'secure' }, 'p1');
    const { c, got } = conn('service');
    b.connect(c);
    const before = p1.getFeatures().advertised;
    const hw1 = b.phyPorts()[0]!.hw_addr;
    await send(b, c, portMod(hw1, 0, 0, 0x80000000));
    expect(p1.getFeatures().advertised).toBe(before);
    await send(b, c, portMod(hw1, 0, 0, 0x80000000 | OFPPF['1GB_FD']));
    expect(p1.getFeatures().advertised).toBe(OFPPF['1GB_FD']);
    expect(got.filter((m) => m.type === OFPT.ERROR)).toEqual([]);
  });
});

describe.skipIf(skip !== undefined)('PORT_MOD with undefined bits: Open vSwitch still answers so', () => {
  let ovs: OvsHandle;
  let ctl: OvsRawClient;
  let watch: OvsRawClient;
  let hw = 0;

  beforeAll(async () => {
    ovs = await startOvs();
    const br = await ovs.addBridge('pmo0');
    await ovs.vsctl(
      'add-port',
      br.name,
      'pmo1',
      '--',
      'set',
      'Interface',
      'pmo1',
      'type=internal',
      'ofport_request=1',
    );
    ctl = await OvsRawClient.connect(br.mgmtTarget);
    watch = await OvsRawClient.connect(br.mgmtTarget);
    await watch.exchange({ type: OFPT.SET_CONFIG, xid: 1, flags: 0, miss_send_len: 128 });
    // The sender asks for async messages too, yet gets no PORT_STATUS for its own PORT_MOD.
    await ctl.exchange({ type: OFPT.SET_CONFIG, xid: 1, flags: 0, miss_send_len: 128 });
    const f = await ctl.exchange({ type: OFPT.FEATURES_REQUEST, xid: 2 });
    hw = port1(f[0]!.m).hw_addr;
    await watch.drain();
  }, 60_000);

  afterAll(async () => {
    ctl?.close();
    watch?.close();
    await ovs?.stop();
  });

  // Steps run in order: each starts from the config the one before left.
  it.each(STEPS.map((s, i) => ({ i, config: s[0], mask: s[1] })))(
    'step $i: config=$config mask=$mask',
    async ({ i, config, mask }) => {
      const answers = (await ctl.exchange(portMod(hw, config, mask))).map((r) => r.m);
      const statuses = statusesIn((await watch.drain()).map((r) => r.m));
      const f = (await ctl.exchange({ type: OFPT.FEATURES_REQUEST, xid: 2 })).map((r) => r.m);
      const features = port1(f.find((m) => m.type === OFPT.FEATURES_REPLY)!).config;
      expect(features & ~0x7f).toBe(0);
      expect({
        errors: errorsIn(answers),
        statuses,
        senderStatuses: statusesIn([...answers, ...f]),
        features: features & ~1,
      }).toEqual(EXPECTED[i]);
    },
  );
});
