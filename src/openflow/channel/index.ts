/* The OpenFlow channel: one negotiated OpenFlow 1.0 connection over any byte stream. */
export type { ByteStream } from './byte-stream.js';
export { realClock, type Clock, type TimerHandle } from './clock.js';
export {
  DEFAULT_PROBE_INTERVAL_MS,
  OfpChannel,
  type ChannelCloseReason,
  type ChannelEvents,
  type ChannelOptions,
  type ChannelState,
} from './channel.js';
export { MAX_ERROR_DATA, OFP_ERROR_MSG_LEN, encodeErrorReply } from './error-reply.js';
export {
  encodeHelloFailed,
  encodeOurHello,
  parsePeerHello,
  peerAccepts10,
  type PeerVersions,
} from './hello.js';
