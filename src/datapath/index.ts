/*
 * The datapath's public surface, for the bridge (issue #5) and tools. See datapath.ts for the API.
 */
export {
  DATAPATH_ACTIONS,
  DATAPATH_CAPABILITIES,
  Datapath,
  type DatapathOptions,
  type FlowModParams,
  type FlowRemovedEvent,
  type FragMode,
  type MissPolicy,
  type PortDevice,
  type PortOptions,
  type Upcall,
} from './datapath.js';
export { DatapathError } from './errors.js';
export { ParsedFrame, keyToMatch, parseFrame } from './frame-key.js';
export { MacLearningTable, type MacEntry } from './mac-learning.js';
export { matchAll } from '../openflow/match.js';
export { validateActions } from './program.js';
