import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OfpFramer, OfpFramingError } from '../../src/openflow/framer.js';
import { encodeMessage } from '../../src/openflow/codec.js';
import { message } from '../support/arbitraries.js';

function frameAll(chunks: Buffer[]): Buffer[] {
  const f = new OfpFramer();
  const out: Buffer[] = [];
  for (const c of chunks) f.push(c, (m) => out.push(Buffer.from(m)));
  expect(f.pendingBytes).toBe(0);
  return out;
}

describe('OfpFramer', () => {
  const msgs = [
    Buffer.from('0100000800000001', 'hex'),
    Buffer.from('010200100000000261626364656667ff', 'hex'),
    Buffer.from('0112000800000003', 'hex'),
  ];
  const stream = Buffer.concat(msgs);

  it('splits a pipelined stream at every single offset and every pair of offsets', () => {
    for (let i = 0; i <= stream.length; i++) {
      expect(frameAll([stream.subarray(0, i), stream.subarray(i)])).toEqual(msgs);
      for (let j = i; j <= stream.length; j++)
        expect(frameAll([stream.subarray(0, i), stream.subarray(i, j), stream.subarray(j)])).toEqual(msgs);
    }
  });

  it('handles a stream fed one byte at a time', () => {
    expect(frameAll([...stream].map((b) => Buffer.from([b])))).toEqual(msgs);
  });

  it('hands out whole messages inside one chunk as views, without copying', () => {
    const f = new OfpFramer();
    const seen: Buffer[] = [];
    f.push(stream, (m) => seen.push(m));
    expect(seen.map((m) => m.buffer === stream.buffer)).toEqual([true, true, true]);
  });

  it('rejects a header length below 8, whole or split', () => {
    const bad = Buffer.from('0100000400000001', 'hex');
    expect(() => new OfpFramer().push(bad, () => undefined)).toThrow(OfpFramingError);
    const f = new OfpFramer();
    f.push(bad.subarray(0, 3), () => undefined);
    expect(() => f.push(bad.subarray(3), () => undefined)).toThrow(OfpFramingError);
  });

  it('gives the same messages for any split of any message sequence', () => {
    fc.assert(
      fc.property(
        fc.array(message, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (ms, cuts) => {
          const enc = ms.map((m) => encodeMessage(m));
          const all = Buffer.concat(enc);
          const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
          const chunks: Buffer[] = [];
          let prev = 0;
          for (const p of [...points, all.length]) {
            chunks.push(all.subarray(prev, p));
            prev = p;
          }
          expect(frameAll(chunks)).toEqual(enc);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
