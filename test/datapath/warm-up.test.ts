import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/datapath/datapath.js';
import { exerciseFastPath } from '../../src/datapath/warm-up.js';

describe('fast-path warm-up', () => {
  it('forwards every warm-up frame where NORMAL and output flows send it', () => {
    // A broadcast flooded to ports 2 and 3; 3000 rounds of a→b and b→a, each to the learnt port
    // except the first a→b (b not learnt yet: flooded, one extra); 32 a→b in one batch; then
    // 750 + 32 frames by in_port=1,actions=output:2.
    expect(exerciseFastPath(new Datapath())).toBe(2 + 1 + 2 * 3000 + 32 + 750 + 32);
  });

  it('leaves other datapaths untouched', () => {
    const dp = new Datapath();
    expect(dp.macEntries()).toEqual([]);
    expect(dp.tableStats()[0]!.active_count).toBe(0);
  });
});
