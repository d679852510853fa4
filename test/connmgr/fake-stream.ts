/*
 * An in-memory ByteStream: the test feeds bytes with `feed`, reads what the channel wrote with
 * `messages()` (framed and decoded) or `bytes()`.
 */
import { EventEmitter } from 'node:events';
import { decodeMessage } from '../../src/openflow/codec.js';
import { OfpFramer } from '../../src/openflow/framer.js';
import type { OfpMessage } from '../../src/openflow/messages.js';
import type { ByteStream } from '../../src/openflow/channel/index.js';

export class FakeStream extends EventEmitter implements ByteStream {
  readonly writes: Buffer[] = [];
  ended = false;
  destroyed = false;
  writableLength = 0;

  write(buf: Buffer): boolean {
    this.writes.push(Buffer.from(buf));
    return true;
  }

  end(): void {
    this.ended = true;
  }

  destroy(): void {
    this.destroyed = true;
  }

  feed(...chunks: Buffer[]): void {
    for (const c of chunks) this.emit('data', c);
  }

  /** Everything written so far, concatenated. */
  bytes(): Buffer {
    return Buffer.concat(this.writes);
  }

  /** Everything written so far, as raw messages. */
  rawMessages(): Buffer[] {
    const out: Buffer[] = [];
    new OfpFramer().push(this.bytes(), (m) => out.push(Buffer.from(m)));
    return out;
  }

  /** Everything written after the first (our HELLO), decoded. */
  replies(): OfpMessage[] {
    return this.rawMessages()
      .slice(1)
      .map((m) => decodeMessage(m));
  }
}

/** Lets queued microtasks (the channel's coalesced flush) run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
