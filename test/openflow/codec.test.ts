import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../../src/openflow/codec.js';
import { OfpDecodeError } from '../../src/openflow/decode-error.js';
import { OFPAT, OFPBAC, OFPBRC, OFPET, OFPST, OFPT } from '../../src/openflow/constants.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function decodeError(b: Buffer): [number, number] {
  try {
    decodeMessage(b);
  } catch (e) {
    if (e instanceof OfpDecodeError) return [e.errorType, e.errorCode];
    throw e;
  }
  throw new Error('decoded without error');
}

// A FLOW_MOD as ovs-ofctl sends `add-flow "priority=63,tcp actions=output:1"`.
const flowMod = hex(`
  01 0e 0050 00000006
  003820ef 0000 000000000000 000000000000 0000 00 00 0800 00 06 0000 00000000 00000000 0000 0000
  0000000000000000 0000 0000 0000 003f ffffffff ffff 0000
  0000 0008 0001 0000`);

describe('codec vectors', () => {
  it('decodes a FLOW_MOD field by field and re-encodes it byte-identical', () => {
    const m = decodeMessage(flowMod);
    expect(m).toMatchObject({
      type: OFPT.FLOW_MOD,
      xid: 6,
      cookie: 0n,
      command: 0,
      priority: 63,
      buffer_id: 0xffffffff,
      out_port: 0xffff,
      actions: [{ type: OFPAT.OUTPUT, port: 1, max_len: 0 }],
    });
    if (m.type !== OFPT.FLOW_MOD) throw new Error('type');
    expect(m.match.wildcards).toBe(0x3820ef);
    expect(m.match.dl_type).toBe(0x0800);
    expect(m.match.nw_proto).toBe(6);
    expect(encodeMessage(m).equals(flowMod)).toBe(true);
  });

  it('decodes MAC addresses to 48-bit numbers', () => {
    const portMod = hex('010f 0020 00000001 0002 0a0b0c0d0e0f 00000001 00000001 00000000 00000000');
    expect(decodeMessage(portMod)).toMatchObject({ port_no: 2, hw_addr: 0x0a0b0c0d0e0f });
    const high = hex('010f 0020 00000001 0002 fedcba987654 00000001 00000001 00000000 00000000');
    const m = decodeMessage(high);
    expect(m).toMatchObject({ hw_addr: 0xfedcba987654 });
    expect(encodeMessage(m).equals(high)).toBe(true);
  });

  it('decodes a stats request with the body for its type', () => {
    const req = hex('0110 0014 00000009 0004 0000 0003 000000000000');
    expect(decodeMessage(req)).toMatchObject({
      type: OFPT.STATS_REQUEST,
      stats_type: OFPST.PORT,
      body: { port_no: 3 },
    });
  });

  it('keeps HELLO bodies and versions of any version', () => {
    const hello = hex('0400 0010 00000001 0001 0008 00000012');
    const m = decodeMessage(hello);
    expect(m).toMatchObject({ type: OFPT.HELLO, version: 4 });
    expect(encodeMessage(m).equals(hello)).toBe(true);
  });

  it.each([
    ['a header shorter than 8 bytes', '010000', OFPET.BAD_REQUEST, OFPBRC.BAD_LEN],
    ['a length beyond the data', '0105 0010 00000001', OFPET.BAD_REQUEST, OFPBRC.BAD_LEN],
    ['a length below the header', '0105 0004 00000001', OFPET.BAD_REQUEST, OFPBRC.BAD_LEN],
    ['a non-1.0 version', '0205 0008 00000001', OFPET.BAD_REQUEST, OFPBRC.BAD_VERSION],
    ['an unknown message type', '0116 0008 00000001', OFPET.BAD_REQUEST, OFPBRC.BAD_TYPE],
    ['a FEATURES_REQUEST with a body', '0105 000c 00000001 00000000', OFPET.BAD_REQUEST, OFPBRC.BAD_LEN],
    ['a short SET_CONFIG', '0109 000a 00000001 0000', OFPET.BAD_REQUEST, OFPBRC.BAD_LEN],
    ['an unknown stats type', '0110 000c 00000001 0007 0000', OFPET.BAD_REQUEST, OFPBRC.BAD_STAT],
    [
      'a DESC stats request with a body',
      '0110 0010 00000001 0000 0000 00000000',
      OFPET.BAD_REQUEST,
      OFPBRC.BAD_LEN,
    ],
    [
      'a short flow stats request',
      '0110 0010 00000001 0001 0000 00000000',
      OFPET.BAD_REQUEST,
      OFPBRC.BAD_LEN,
    ],
    [
      'a port stats reply not a multiple of 104',
      '0111 0014 00000001 0004 0000 0000000000000000',
      OFPET.BAD_REQUEST,
      OFPBRC.BAD_LEN,
    ],
  ])('rejects %s with the spec error', (_what, h, type, code) => {
    expect(decodeError(hex(h))).toEqual([type, code]);
  });

  const withAction = (action: string) => {
    const body = flowMod.subarray(0, 72);
    const a = hex(action);
    const b = Buffer.concat([body, a]);
    b.writeUInt16BE(b.length, 2);
    return b;
  };

  it.each([
    ['an action length that is not a multiple of 8', '0000 000c 0001 0000 00000000', OFPBAC.BAD_LEN],
    ['an action length of zero', '0000 0000 0001 0000', OFPBAC.BAD_LEN],
    ['an action running past the message', '0000 0010 0001 0000', OFPBAC.BAD_LEN],
    ['a set_dl_src of 8 bytes', '0004 0008 0001 0000', OFPBAC.BAD_LEN],
    ['an unknown action type', '000c 0008 0001 0000', OFPBAC.BAD_TYPE],
    ['set_vlan_vid above 4095', '0001 0008 1000 0000', OFPBAC.BAD_ARGUMENT],
    ['set_vlan_pcp above 7', '0002 0008 08 000000', OFPBAC.BAD_ARGUMENT],
    ['set_nw_tos with ECN bits', '0008 0008 03 000000', OFPBAC.BAD_ARGUMENT],
    ['enqueue to a reserved port', '000b 0010 fffb 000000000000 00000001', OFPBAC.BAD_OUT_PORT],
  ])('rejects %s in a flow-mod', (_what, action, code) => {
    expect(decodeError(withAction(action))).toEqual([OFPET.BAD_ACTION, code]);
  });

  it('accepts a packet-out whose actions_len leaves the rest as data, and rejects one that overruns', () => {
    const ok = hex('010d 0020 00000001 ffffffff 0001 0008 0000 0008 fffb 0000 aabbccdd aabbccdd');
    expect(decodeMessage(ok)).toMatchObject({
      actions: [{ type: OFPAT.OUTPUT, port: 0xfffb }],
      data: hex('aabbccdd aabbccdd'),
    });
    expect(encodeMessage(decodeMessage(ok)).equals(ok)).toBe(true);
    const over = hex('010d 0018 00000001 ffffffff 0001 0010 0000 0008 fffb 0000');
    expect(decodeError(over)).toEqual([OFPET.BAD_REQUEST, OFPBRC.BAD_LEN]);
  });
});
