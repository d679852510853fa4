/*
 * The simulated hosts' frames and the demo's naming: frames round-trip with valid checksums
 * (checked against a frame the Linux stack sent), and every name fits IFNAMSIZ and leads back to
 * the pid that made it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { demoNames, ownerPid } from '../../src/demo/names.js';
import {
  arpReply,
  arpRequest,
  echoReply,
  echoRequest,
  inetChecksum,
  parseArp,
  parseEcho,
} from '../../src/demo/packets.js';

const mac = fc.integer({ min: 0, max: 2 ** 48 - 1 });
const ip = fc.integer({ min: 0, max: 2 ** 32 - 1 });

describe('demo packets', () => {
  it('ICMP echo round-trips with valid IPv4 and ICMP checksums', () => {
    fc.assert(
      fc.property(
        mac,
        mac,
        ip,
        ip,
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.uint8Array({ maxLength: 100 }),
        (s, d, a, b, id, seq, p) => {
          const e = { ethSrc: s, ethDst: d, src: a, dst: b, id, seq, payload: Buffer.from(p) };
          const req = parseEcho(echoRequest(e));
          expect(req).toEqual({ ...e, isRequest: true });
          expect(parseEcho(echoReply(e))).toEqual({ ...e, isRequest: false });
        },
      ),
    );
  });

  it('rejects an echo whose checksum is wrong', () => {
    const f = echoRequest({ ethSrc: 1, ethDst: 2, src: 3, dst: 4, id: 5, seq: 6, payload: Buffer.alloc(8) });
    f[14 + 20 + 8] ^= 1;
    expect(parseEcho(f)).toBeUndefined();
  });

  it('agrees with a frame Linux sent (`ping -s 8 10.0.0.2` from 10.0.0.1, captured with tcpdump)', () => {
    const linux = Buffer.from(
      '020000000002' +
        '02c05373b45f' +
        '0800' +
        '450000249857400040018e7f0a0000010a000002' +
        '0800d5fb15f30001' +
        '0001020304050607',
      'hex',
    );
    const got = parseEcho(linux);
    expect(got).toMatchObject({ isRequest: true, src: 0x0a000001, dst: 0x0a000002, id: 0x15f3, seq: 1 });
    const mine = echoRequest({
      ethSrc: 0x02c05373b45f,
      ethDst: 0x020000000002,
      src: 0x0a000001,
      dst: 0x0a000002,
      id: 0x15f3,
      seq: 1,
      payload: Buffer.from('0001020304050607', 'hex'),
    });
    // ICMP (with its checksum) byte for byte; the IPv4 header differs only in its id (and so checksum).
    expect(mine.subarray(34, 50).toString('hex')).toBe(linux.subarray(34, 50).toString('hex'));
    expect(inetChecksum(mine, 14, 20)).toBe(0);
  });

  it('ARP requests and replies round-trip', () => {
    fc.assert(
      fc.property(mac, mac, ip, ip, (a, b, x, y) => {
        expect(parseArp(arpRequest(a, x, y))).toMatchObject({
          isRequest: true,
          sha: a,
          spa: x,
          tpa: y,
          tha: 0,
        });
        expect(parseArp(arpReply(a, x, b, y))).toMatchObject({
          isReply: true,
          sha: a,
          spa: x,
          tha: b,
          tpa: y,
        });
      }),
    );
  });
});

describe('demo names', () => {
  it('fit in 15 bytes and name their pid', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4194304 }), (pid) => {
        const n = demoNames(pid);
        const links = [n.bridge, n.port(1), n.port(4)];
        for (const l of links) {
          expect(l.length).toBeLessThanOrEqual(15);
          expect(ownerPid(l)).toBe(pid);
        }
        expect(ownerPid(n.netns(2))).toBe(pid);
        expect(ownerPid(`${n.bridge}.mgmt`)).toBe(pid);
      }),
    );
    expect(ownerPid('ofdp-ovs-1-0-x')).toBeUndefined();
    expect(ownerPid('eth0')).toBeUndefined();
  });
});
