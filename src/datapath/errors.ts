/*
 * The one exception the datapath throws for a request it refuses (a flow-mod, a packet-out's actions).
 *
 * It carries the OpenFlow error (OFPET_* type, code) to answer with, so the bridge turns it into
 * OFPT_ERROR without knowing why it was raised. Any other exception escaping the datapath is a bug.
 */
import { errorName } from '../openflow/decode-error.js';

export class DatapathError extends Error {
  constructor(
    readonly errorType: number,
    readonly errorCode: number,
    detail: string,
  ) {
    super(`${errorName(errorType, errorCode)}: ${detail}`);
    this.name = 'DatapathError';
  }
}
