/*
 * The internal provider: the bridge's LOCAL port (OFPP_LOCAL), a tap named after the bridge, as
 * Open vSwitch's internal device is on the netdev datapath. Same lifetime rules as tap.ts: created
 * and deleted with the bridge unless kept, attached if it already exists.
 */
import { openTapDevice, type TapDevice, type TapOptions } from './tap.js';
import type { NetdevProvider } from '../provider.js';

export class InternalProvider implements NetdevProvider {
  readonly type = 'internal';
  open(bridgeName: string, options: TapOptions = {}): Promise<TapDevice> {
    return openTapDevice(this.type, bridgeName, options);
  }
}
