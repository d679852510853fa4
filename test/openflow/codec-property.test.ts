import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeMessage, encodeMessage, messageSize } from '../../src/openflow/codec.js';
import { OfpDecodeError } from '../../src/openflow/decode-error.js';
import { message } from '../support/arbitraries.js';

/** Decodes or returns the typed error; anything else thrown fails the property. */
function decodeOrError(b: Buffer): unknown {
  try {
    return decodeMessage(b);
  } catch (e) {
    if (e instanceof OfpDecodeError) return e;
    throw e;
  }
}

describe('codec properties', () => {
  it('every message round-trips through encode and decode', () => {
    fc.assert(
      fc.property(message, (m) => {
        const b = encodeMessage(m);
        expect(b.length).toBe(messageSize(m));
        expect(b.readUInt16BE(2)).toBe(b.length);
        const d = decodeMessage(b);
        expect(d).toEqual(m);
        expect(encodeMessage(d).equals(b)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('encodes at an offset inside a larger buffer without touching its neighbours', async () => {
    const { encodeMessageInto } = await import('../../src/openflow/codec.js');
    fc.assert(
      fc.property(message, fc.integer({ min: 0, max: 64 }), (m, at) => {
        const size = messageSize(m);
        const big = Buffer.alloc(at + size + 16, 0xa5);
        expect(encodeMessageInto(m, big, at)).toBe(at + size);
        expect(big.subarray(0, at).every((x) => x === 0xa5)).toBe(true);
        expect(big.subarray(at + size).every((x) => x === 0xa5)).toBe(true);
        expect(big.subarray(at, at + size).equals(encodeMessage(m))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('random bytes give a message or an OfpDecodeError, never another exception', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 200 }),
        fc.integer({ min: 0, max: 21 }),
        (raw, type) => {
          const b = Buffer.from(raw);
          if (b.length >= 4) {
            // Aim most inputs at real message types with a consistent length, so decoding goes deep.
            b[0] = 1;
            b[1] = type;
            b.writeUInt16BE(b.length, 2);
          }
          decodeOrError(b);
        },
      ),
      { numRuns: 20000 },
    );
  });

  it('mutated valid messages give a message or an OfpDecodeError', () => {
    fc.assert(
      fc.property(
        message,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: -16, max: 16 }),
        (m, flips, trim) => {
          const enc = encodeMessage(m);
          let b = Buffer.from(enc);
          for (const [at, v] of flips) b[at % b.length] = v;
          if (trim < 0) b = b.subarray(0, Math.max(0, b.length + trim));
          else if (trim > 0) b = Buffer.concat([b, Buffer.alloc(trim)]);
          const r = decodeOrError(b);
          if (!(r instanceof OfpDecodeError)) {
            // Whatever decoded is a well-formed message: it re-encodes and decodes to itself.
            expect(decodeMessage(encodeMessage(r as never))).toEqual(r);
          }
        },
      ),
      { numRuns: 5000 },
    );
  });
});
