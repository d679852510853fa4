/*
 * The one exception the codec throws on malformed input.
 *
 * It carries the OpenFlow error (type, code) the spec prescribes for the input, so that the channel can
 * answer with OFPT_ERROR and keep the connection. Any other exception escaping the decoder is a bug.
 */
import { ERROR_CODES, OFPET, nameOf } from './constants.js';

export class OfpDecodeError extends Error {
  constructor(
    readonly errorType: number,
    readonly errorCode: number,
    detail: string,
  ) {
    super(`${errorName(errorType, errorCode)}: ${detail}`);
    this.name = 'OfpDecodeError';
  }
}

/** `OFPBRC_BAD_LEN`-style name of an error type and code, as ovs-ofctl prints it. */
export function errorName(type: number, code: number): string {
  const group = ERROR_CODES[type];
  const codeName = group ? nameOf(group.codes, code) : undefined;
  if (group && codeName) return `${group.prefix}_${codeName}`;
  const typeName = nameOf(OFPET, type);
  return `${typeName ? `OFPET_${typeName}` : `type ${type}`} code ${code}`;
}

export function badLen(detail: string): OfpDecodeError {
  return new OfpDecodeError(OFPET.BAD_REQUEST, 6, detail);
}
