/*
 * Names ovs-ofctl uses for message types, stats types and errors. These follow Open vSwitch
 * (OFPST_PORT_DESC, OFPFMFC_TABLE_FULL) where it differs from the OpenFlow 1.0 spec, because the
 * printer must match ovs-ofctl's text.
 */
import { ERROR_CODES, OFPST, OFPT, nameOf } from '../constants.js';

/** `OFPT_HELLO`, …, or undefined for a type OpenFlow 1.0 does not define. */
export function messageTypeName(type: number): string | undefined {
  const n = nameOf(OFPT, type);
  return n && `OFPT_${n}`;
}

/** `OFPST_FLOW request` / `OFPST_FLOW reply`. */
export function statsName(statsType: number, reply: boolean): string | undefined {
  const n = nameOf(OFPST, statsType);
  if (!n || statsType === OFPST.VENDOR) return undefined;
  return `OFPST_${n} ${reply ? 'reply' : 'request'}`;
}

/** Where OVS's error name differs from the spec's. */
const OVS_ERROR_NAMES: Readonly<Record<string, string>> = { OFPFMFC_ALL_TABLES_FULL: 'OFPFMFC_TABLE_FULL' };

/** `OFPBRC_BAD_LEN`-style name, or undefined when OVS does not know this OF1.0 type/code pair. */
export function ovsErrorName(type: number, code: number): string | undefined {
  const group = ERROR_CODES[type];
  const codeName = group && nameOf(group.codes, code);
  if (!group || !codeName) return undefined;
  const n = `${group.prefix}_${codeName}`;
  return OVS_ERROR_NAMES[n] ?? n;
}

/** `(OF1.3)`-style version tag OVS prints after the type name for versions other than 1.0. */
export function versionTag(version: number): string {
  switch (version) {
    case 1:
      return '';
    case 2:
      return ' (OF1.1)';
    case 3:
      return ' (OF1.2)';
    case 4:
      return ' (OF1.3)';
    case 5:
      return ' (OF1.4)';
    case 6:
      return ' (OF1.5)';
    default:
      return ` (OF 0x${version.toString(16).padStart(2, '0')})`;
  }
}
