/*
 * One active controller target (`--controller tcp:...`): dial it, keep a session, and when the
 * session or the dial fails, dial again after a backoff.
 *
 * Backoff, per issue #5 (Open vSwitch's rconn has the same shape): the first dial is immediate;
 * before each later dial we wait `delay`, which starts at 1 s and doubles after every use up to
 * 8 s (1, 2, 4, 8, 8, ...). A session that got as far as FEATURES (OfConnection.markEstablished)
 * resets it to 1 s, so a controller restart is noticed quickly while a dead or misbehaving one
 * (refusing, failing HELLO, dropping before FEATURES) is not hammered.
 *
 * States: 'connecting' (a dial in flight) → 'connected' (a stream; the channel may still be
 * negotiating) → 'backoff' (waiting) → 'connecting' ...; 'stopped' is final. All timing goes
 * through the injected Clock.
 */
import type { Clock, OfpChannel, TimerHandle } from '../openflow/channel/index.js';
import type { OfConnection } from './connection.js';
import type { DialAttempt, Dialer } from './dialer.js';
import { startSession, type SessionHooks } from './session.js';
import { formatTarget, type ActiveTarget } from './target.js';

export interface BackoffSettings {
  /** First delay before a redial, ms (default 1000). */
  minMs: number;
  /** Largest delay, ms (default 8000). */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffSettings = { minMs: 1000, maxMs: 8000 };

export type ControllerState = 'connecting' | 'connected' | 'backoff' | 'stopped';

export interface ControllerHooks extends SessionHooks {
  /** A dial failed (refused, unreachable, TLS handshake). */
  dialFailed(target: string, err: Error): void;
  /** The next dial is scheduled `delayMs` from now. */
  backoff(target: string, delayMs: number): void;
}

export interface ControllerDeps {
  clock: Clock;
  dialer: Dialer;
  probeIntervalMs: number;
  backoff: BackoffSettings;
  hooks: ControllerHooks;
}

export class ActiveController {
  readonly name: string;
  private stateValue: ControllerState = 'connecting';
  private delay: number;
  private attempt: DialAttempt | undefined;
  private timer: TimerHandle | undefined;
  private channel: OfpChannel | undefined;
  private conn: OfConnection | undefined;

  constructor(
    readonly target: ActiveTarget,
    private readonly deps: ControllerDeps,
  ) {
    this.name = formatTarget(target);
    this.delay = deps.backoff.minMs;
  }

  /** Makes the first dial (at once). */
  start(): void {
    if (this.stateValue === 'connecting' && this.attempt === undefined && this.channel === undefined)
      this.dial();
  }

  get state(): ControllerState {
    return this.stateValue;
  }

  /** The negotiated connection, while there is one. */
  get connection(): OfConnection | undefined {
    return this.conn;
  }

  /** The delay the next redial will wait, ms. */
  get nextDelayMs(): number {
    return this.delay;
  }

  /** Stops dialling and closes any session (its 'down' is still reported). */
  stop(): void {
    if (this.stateValue === 'stopped') return;
    this.stateValue = 'stopped';
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.attempt?.cancel();
    this.attempt = undefined;
    this.channel?.close();
  }

  private dial(): void {
    this.timer = undefined;
    this.stateValue = 'connecting';
    this.attempt = this.deps.dialer(this.target, {
      connected: (stream) => {
        this.attempt = undefined;
        if (this.stateValue === 'stopped') {
          stream.on('error', () => {});
          if (stream.destroy) stream.destroy();
          else stream.end();
          return;
        }
        this.stateValue = 'connected';
        this.channel = startSession(
          stream,
          {
            role: 'primary',
            target: this.name,
            peer: '',
            clock: this.deps.clock,
            probeIntervalMs: this.deps.probeIntervalMs,
            onEstablished: () => {
              this.delay = this.deps.backoff.minMs;
            },
          },
          {
            up: (c) => {
              this.conn = c;
              this.deps.hooks.up(c);
            },
            message: this.deps.hooks.message,
            drain: this.deps.hooks.drain,
            down: (c, reason, err) => {
              this.channel = undefined;
              this.conn = undefined;
              this.deps.hooks.down(c, reason, err);
              this.redialUnlessStopped();
            },
            aborted: (reason, err) => {
              this.channel = undefined;
              this.deps.hooks.aborted(reason, err);
              this.redialUnlessStopped();
            },
          },
        );
      },
      failed: (err) => {
        this.attempt = undefined;
        if (this.stateValue === 'stopped') return;
        this.deps.hooks.dialFailed(this.name, err);
        this.scheduleRedial();
      },
    });
  }

  private redialUnlessStopped(): void {
    if (this.stateValue !== 'stopped') this.scheduleRedial();
  }

  private scheduleRedial(): void {
    const delay = this.delay;
    this.delay = Math.min(this.deps.backoff.maxMs, delay * 2);
    this.stateValue = 'backoff';
    this.timer = this.deps.clock.setTimeout(() => this.dial(), delay);
    this.deps.hooks.backoff(this.name, delay);
  }
}
