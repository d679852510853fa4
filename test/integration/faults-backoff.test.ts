/*
 * Fault case (issue #5): a controller that stays away. `ofdp run` redials it with a backoff of 1 s
 * doubling to 8 s; once the controller is back the next dial (at most 8 s later) connects; and a
 * session that reached FEATURES resets the backoff, so losing it again costs only 1 s.
 *
 * Measured on ofdp's own debug log ("connection failed" lines carry the time of each refused dial)
 * and on the scripted controller's sessions, in real time (~25 s, hence a file of its own). Timers
 * fire no earlier than asked, and late only by scheduling noise, so each interval is checked
 * against [expected - 50 ms, expected + 1 s].
 */
import { afterAll, describe, expect, it } from 'vitest';
import { OfdpProcess } from '../support/ofdp-run.js';
import { ScriptedController } from '../support/faults/scripted-controller.js';
import { faultsUnavailable } from '../support/faults/available.js';

const skip = faultsUnavailable();
if (skip) console.warn(`*** SKIPPING backoff fault test: ${skip} ***`);

/** The times (ms since the epoch) of ofdp's refused dials to `port`, from line `from` on. */
function refusals(sw: OfdpProcess, port: number, from = 0): number[] {
  return sw.lines
    .slice(from)
    .filter((l) => l.includes(`tcp:127.0.0.1:${port}: connection failed`))
    .map((l) => Date.parse(l.split(' ')[0]!));
}

function within(actual: number, expected: number): void {
  expect(actual).toBeGreaterThanOrEqual(expected - 50);
  expect(actual).toBeLessThanOrEqual(expected + 1000);
}

describe.skipIf(skip)('a controller that stays away', () => {
  let sw: OfdpProcess | undefined;
  let ctl: ScriptedController | undefined;
  afterAll(async () => {
    await sw?.stop();
    await ctl?.close();
  });

  it('is redialled after 1, 2, 4 and 8 s; connects within 8 s once back; a lost session redials after 1 s', async () => {
    ctl = await ScriptedController.start();
    const port = ctl.port;
    await ctl.kill();
    sw = await OfdpProcess.start({
      bridge: `bk${process.pid}`,
      ports: ['dummy:k1'],
      controllers: [`tcp:127.0.0.1:${port}`],
      failMode: 'secure',
      logLevel: 'debug',
    });
    // The first dial is at once, then four more 1, 2, 4 and 8 s apart.
    const refused = new RegExp(`:${port}: connection failed`);
    let at = -1;
    for (let n = 0; n < 5; n++) {
      const line = await sw.waitForLog(refused, 10_000, at + 1);
      at = sw.lines.indexOf(line, at + 1);
    }
    const t = refusals(sw, port);
    expect(t.length).toBe(5);
    [1000, 2000, 4000, 8000].forEach((d, i) => within(t[i + 1]! - t[i]!, d));

    // Back now: the next dial, 8 s after the last (the cap, not 16 s), connects.
    await ctl.restart();
    const s0 = await ctl.session(0, 12_000);
    within(Date.now() - t[4]!, 8000);
    expect(s0.features).toBeDefined();

    // That session reached FEATURES: the backoff starts over at 1 s.
    const mark = sw.lines.length;
    await ctl.kill();
    await sw.waitForLog(/disconnected/, 5000, mark);
    const down = Date.parse(
      sw.lines
        .slice(mark)
        .find((l) => l.includes('disconnected'))!
        .split(' ')[0]!,
    );
    await sw.waitForLog(new RegExp(`:${port}: connection failed`), 5000, mark);
    within(refusals(sw, port, mark)[0]! - down, 1000);
  }, 45_000);
});
