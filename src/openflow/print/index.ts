/*
 * The ovs-ofctl-compatible printer: messages, raw bytes, and the flow-syntax formatters shared with
 * the flow-syntax parser (src/openflow/flow-syntax).
 */
export { formatMatch, formatOfp10MatchRaw, normalizeMatch } from './match-format.js';
export { formatAction, formatActions } from './action-format.js';
export { formatPort, formatPhyPort } from './ports.js';
export { hexDump } from './hex-dump.js';
export { printBytes, printMessage, type PrintOptions } from './print-bytes.js';
export { formatPacket } from './packet-flow.js';
export { formatDuration, flowModFlags } from './message-format.js';
export { formatFlowStats } from './stats-format.js';
