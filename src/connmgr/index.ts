/* Connection management: targets, dialling, listening, reconnect and the per-connection state. */
export { ASYNC_BACKLOG_LIMIT, OfConnection, type ConnectionRole } from './connection.js';
export {
  ActiveController,
  DEFAULT_BACKOFF,
  type BackoffSettings,
  type ControllerState,
} from './controller.js';
export { socketDialer, type DialAttempt, type DialCallbacks, type Dialer } from './dialer.js';
export { Listener, type ListenAddress } from './listener.js';
export {
  ConnectionManager,
  type ConnectionManagerEvents,
  type ConnectionManagerOptions,
  type TargetOptions,
} from './manager.js';
export type { SslOptions } from './ssl.js';
export {
  DEFAULT_PASSIVE_HOST,
  OFP_TCP_PORT,
  TargetError,
  formatTarget,
  parseActiveTarget,
  parsePassiveTarget,
  parseTarget,
  type ActiveTarget,
  type PassiveTarget,
  type Target,
} from './target.js';
