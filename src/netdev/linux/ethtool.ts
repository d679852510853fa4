/*
 * Link speed, duplex, port type, autonegotiation and pause from ethtool (SIOCETHTOOL), mapped to
 * OpenFlow OFPPF_* bits the way Open vSwitch's lib/netdev-linux.c maps them, so `ofdp` and Open
 * vSwitch print the same features for the same device (a veth: 10GB-FD COPPER).
 *
 * ETHTOOL_GLINKSETTINGS is asked first, in its two steps: with link_mode_masks_nwords = 0 the kernel
 * answers with -N (the number of 32-bit words in each mask), then the real request carries N. Older
 * drivers/kernels answer EOPNOTSUPP and ETHTOOL_GSET (struct ethtool_cmd) is used. Devices that
 * answer neither report no features (all zero), as the netdev layer expects.
 *
 * Mapping (OVS's): supported/advertised from the legacy link-mode bits; current from speed (10, 100
 * and 1000 Mb/s by duplex, 10 Gb/s as 10GB_FD, anything else none), plus COPPER for PORT_TP or
 * FIBER for PORT_FIBRE, plus AUTONEG when autonegotiation is on. Peer is the link partner's
 * advertisement (OVS leaves it 0; the two agree on every virtual device).
 */
import * as ffi from './ffi.js';
import { OFPPF } from '../../openflow/constants.js';
import type { NetdevFeatures } from '../provider.js';

export const SIOCETHTOOL = 0x8946;
export const ETHTOOL_GSET = 0x1;
export const ETHTOOL_SSET = 0x2;
export const ETHTOOL_GLINKSETTINGS = 0x4c;
export const ETHTOOL_SLINKSETTINGS = 0x4d;

/** Legacy link-mode bits (ethtool SUPPORTED_* / ADVERTISED_*). */
export const LM = {
  '10baseT_Half': 1 << 0,
  '10baseT_Full': 1 << 1,
  '100baseT_Half': 1 << 2,
  '100baseT_Full': 1 << 3,
  '1000baseT_Half': 1 << 4,
  '1000baseT_Full': 1 << 5,
  Autoneg: 1 << 6,
  TP: 1 << 7,
  FIBRE: 1 << 10,
  '10000baseT_Full': 1 << 12,
  Pause: 1 << 13,
  Asym_Pause: 1 << 14,
  '1000baseKX_Full': 1 << 17,
  '10000baseKX4_Full': 1 << 18,
  '10000baseKR_Full': 1 << 19,
  '10000baseR_FEC': 1 << 20,
} as const;

export const PORT_TP = 0x00;
export const PORT_FIBRE = 0x03;
export const DUPLEX_HALF = 0;

/** What ethtool reported, before mapping. */
export interface EthtoolLink {
  speed: number;
  duplex: number;
  port: number;
  autoneg: boolean;
  supported: number;
  advertising: number;
  lpAdvertising: number;
}

/** Maps legacy link-mode bits to OFPPF_* bits. */
export function modesToOfppf(m: number): number {
  let f = 0;
  if (m & LM['10baseT_Half']) f |= OFPPF['10MB_HD'];
  if (m & LM['10baseT_Full']) f |= OFPPF['10MB_FD'];
  if (m & LM['100baseT_Half']) f |= OFPPF['100MB_HD'];
  if (m & LM['100baseT_Full']) f |= OFPPF['100MB_FD'];
  if (m & LM['1000baseT_Half']) f |= OFPPF['1GB_HD'];
  if (m & (LM['1000baseT_Full'] | LM['1000baseKX_Full'])) f |= OFPPF['1GB_FD'];
  if (m & (LM['10000baseT_Full'] | LM['10000baseKX4_Full'] | LM['10000baseKR_Full'] | LM['10000baseR_FEC']))
    f |= OFPPF['10GB_FD'];
  if (m & LM.TP) f |= OFPPF.COPPER;
  if (m & LM.FIBRE) f |= OFPPF.FIBER;
  if (m & LM.Autoneg) f |= OFPPF.AUTONEG;
  if (m & LM.Pause) f |= OFPPF.PAUSE;
  if (m & LM.Asym_Pause) f |= OFPPF.PAUSE_ASYM;
  return f;
}

/** Maps OFPPF_* bits back to legacy advertising bits (for setAdvertisements). */
export function ofppfToModes(f: number): number {
  let m = 0;
  if (f & OFPPF['10MB_HD']) m |= LM['10baseT_Half'];
  if (f & OFPPF['10MB_FD']) m |= LM['10baseT_Full'];
  if (f & OFPPF['100MB_HD']) m |= LM['100baseT_Half'];
  if (f & OFPPF['100MB_FD']) m |= LM['100baseT_Full'];
  if (f & OFPPF['1GB_HD']) m |= LM['1000baseT_Half'];
  if (f & OFPPF['1GB_FD']) m |= LM['1000baseT_Full'];
  if (f & OFPPF['10GB_FD']) m |= LM['10000baseT_Full'];
  if (f & OFPPF.COPPER) m |= LM.TP;
  if (f & OFPPF.FIBER) m |= LM.FIBRE;
  if (f & OFPPF.AUTONEG) m |= LM.Autoneg;
  if (f & OFPPF.PAUSE) m |= LM.Pause;
  if (f & OFPPF.PAUSE_ASYM) m |= LM.Asym_Pause;
  return m >>> 0;
}

export function linkToFeatures(l: EthtoolLink): NetdevFeatures {
  let curr = 0;
  const fd = l.duplex !== DUPLEX_HALF;
  if (l.speed === 10) curr = fd ? OFPPF['10MB_FD'] : OFPPF['10MB_HD'];
  else if (l.speed === 100) curr = fd ? OFPPF['100MB_FD'] : OFPPF['100MB_HD'];
  else if (l.speed === 1000) curr = fd ? OFPPF['1GB_FD'] : OFPPF['1GB_HD'];
  else if (l.speed === 10000) curr = OFPPF['10GB_FD'];
  if (l.port === PORT_TP) curr |= OFPPF.COPPER;
  else if (l.port === PORT_FIBRE) curr |= OFPPF.FIBER;
  if (l.autoneg) curr |= OFPPF.AUTONEG;
  return {
    curr,
    advertised: modesToOfppf(l.advertising),
    supported: modesToOfppf(l.supported),
    peer: modesToOfppf(l.lpAdvertising),
  };
}

// One socket and one scratch area for every ioctl in the process (requests are synchronous).
let sock = -1;
let scratch: ffi.NativeMemory | undefined;
const ifr = Buffer.alloc(40);

function doIoctl(name: string): number {
  if (sock < 0) sock = ffi.check(ffi.socket(ffi.AF_INET, ffi.SOCK_DGRAM | ffi.SOCK_CLOEXEC, 0), 'socket');
  scratch ??= ffi.allocNative(4096);
  ifr.fill(0);
  ifr.write(name, 0, 15, 'utf8');
  ifr.writeBigUInt64LE(BigInt(scratch.addr), 16);
  return ffi.ioctl(sock, SIOCETHTOOL, ifr) < 0 ? ffi.errno() : 0;
}

const LS_HDR = 48;

/** GLINKSETTINGS handshake; returns nwords, or the errno (negative) when unsupported. */
function glinksettings(name: string): number {
  const d = scratch ?? (scratch = ffi.allocNative(4096));
  d.buf.fill(0, 0, 1024);
  d.buf.writeUInt32LE(ETHTOOL_GLINKSETTINGS, 0);
  let e = doIoctl(name);
  if (e) return -e;
  const n = -d.buf.readInt8(15);
  if (n <= 0 || n > 127) return -ffi.EOPNOTSUPP;
  d.buf.fill(0, 0, 1024);
  d.buf.writeUInt32LE(ETHTOOL_GLINKSETTINGS, 0);
  d.buf.writeInt8(n, 15);
  e = doIoctl(name);
  return e ? -e : n;
}

/**
 * Reads the link settings of `name`; throws NetdevError when ethtool has nothing for it.
 * `legacyOnly` skips ETHTOOL_GLINKSETTINGS (tests compare the two paths).
 */
export function readLink(name: string, legacyOnly = false): EthtoolLink {
  const n = legacyOnly ? -ffi.EOPNOTSUPP : glinksettings(name);
  const d = scratch!.buf;
  if (n > 0) {
    const speed = d.readUInt32LE(4);
    return {
      speed: speed === 0xffffffff ? 0 : speed,
      duplex: d[8]!,
      port: d[9]!,
      autoneg: d[11] !== 0,
      supported: d.readUInt32LE(LS_HDR),
      advertising: d.readUInt32LE(LS_HDR + 4 * n),
      lpAdvertising: d.readUInt32LE(LS_HDR + 8 * n),
    };
  }
  d.fill(0, 0, 64);
  d.writeUInt32LE(ETHTOOL_GSET, 0);
  const e = doIoctl(name);
  if (e) throw ffi.errorFor(e, `ethtool ${name}`);
  const speed = d.readUInt16LE(12) | (d.readUInt16LE(28) << 16);
  return {
    speed: speed >>> 0 === 0xffffffff ? 0 : speed >>> 0,
    duplex: d[14]!,
    port: d[15]!,
    autoneg: d[18] !== 0,
    supported: d.readUInt32LE(4),
    advertising: d.readUInt32LE(8),
    lpAdvertising: d.readUInt32LE(32),
  };
}

/** Features of `name`, all zero when the device reports nothing. */
export function getFeatures(name: string): NetdevFeatures {
  try {
    return linkToFeatures(readLink(name));
  } catch {
    return { curr: 0, advertised: 0, supported: 0, peer: 0 };
  }
}

/** Sets the advertised modes (OFPPF_* bits). Throws NetdevError (often EOPNOTSUPP on virtual devices). */
export function setAdvertised(name: string, advertise: number): void {
  const modes = ofppfToModes(advertise);
  const n = glinksettings(name);
  const d = scratch!.buf;
  if (n > 0) {
    d.fill(0, LS_HDR + 4 * n, LS_HDR + 8 * n);
    d.writeUInt32LE(modes, LS_HDR + 4 * n);
    d.writeUInt32LE(ETHTOOL_SLINKSETTINGS, 0);
    const e = doIoctl(name);
    if (e) throw ffi.errorFor(e, `ethtool -s ${name} advertise`);
    return;
  }
  d.fill(0, 0, 64);
  d.writeUInt32LE(ETHTOOL_GSET, 0);
  let e = doIoctl(name);
  if (e) throw ffi.errorFor(e, `ethtool ${name}`);
  d.writeUInt32LE(modes, 8);
  d.writeUInt32LE(ETHTOOL_SSET, 0);
  e = doIoctl(name);
  if (e) throw ffi.errorFor(e, `ethtool -s ${name} advertise`);
}
