/*
 * ethtool → OFPPF_* mapping, as Open vSwitch's lib/netdev-linux.c maps it.
 * (Agreement with the real `ethtool` on devices is in linux-state.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { OFPPF } from '../../src/openflow/constants.js';
import {
  LM,
  PORT_FIBRE,
  PORT_TP,
  linkToFeatures,
  modesToOfppf,
  ofppfToModes,
} from '../../src/netdev/linux/ethtool.js';

const link = {
  speed: 0,
  duplex: 1,
  port: 0xef,
  autoneg: false,
  supported: 0,
  advertising: 0,
  lpAdvertising: 0,
};

describe('ethtool feature mapping', () => {
  it('maps current speed and duplex as Open vSwitch does', () => {
    expect(linkToFeatures({ ...link, speed: 10000, port: PORT_TP }).curr).toBe(
      OFPPF['10GB_FD'] | OFPPF.COPPER,
    ); // veth
    expect(linkToFeatures({ ...link, speed: 1000, duplex: 0 }).curr).toBe(OFPPF['1GB_HD']);
    expect(linkToFeatures({ ...link, speed: 100, duplex: 1, autoneg: true }).curr).toBe(
      OFPPF['100MB_FD'] | OFPPF.AUTONEG,
    );
    expect(linkToFeatures({ ...link, speed: 10, duplex: 0xff }).curr).toBe(OFPPF['10MB_FD']); // unknown duplex → FD
    expect(linkToFeatures({ ...link, speed: 40000, port: PORT_FIBRE }).curr).toBe(OFPPF.FIBER); // no OF1.0 bit
    expect(linkToFeatures({ ...link }).curr).toBe(0); // reports nothing
  });

  it('maps supported, advertised and peer link modes', () => {
    const modes =
      LM['1000baseT_Full'] | LM['10000baseKR_Full'] | LM.TP | LM.Autoneg | LM.Pause | LM.Asym_Pause;
    const want =
      OFPPF['1GB_FD'] | OFPPF['10GB_FD'] | OFPPF.COPPER | OFPPF.AUTONEG | OFPPF.PAUSE | OFPPF.PAUSE_ASYM;
    expect(modesToOfppf(modes)).toBe(want);
    const f = linkToFeatures({
      ...link,
      supported: modes,
      advertising: LM['100baseT_Half'],
      lpAdvertising: LM.FIBRE,
    });
    expect(f.supported).toBe(want);
    expect(f.advertised).toBe(OFPPF['100MB_HD']);
    expect(f.peer).toBe(OFPPF.FIBER);
  });

  it('round-trips every OpenFlow 1.0 feature bit through the advertising modes', () => {
    for (const bit of Object.values(OFPPF)) expect(modesToOfppf(ofppfToModes(bit))).toBe(bit);
  });
});
