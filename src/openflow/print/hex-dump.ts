/*
 * Hex dumps in the layout Open vSwitch's ds_put_hex_dump() uses (with the ASCII column), so that
 * malformed messages print byte-for-byte like `ovs-ofctl ofp-print`:
 *
 *   00000000  01 00 00 10 00 00 00 01-00 02 00 08 00 00 00 12 |................|
 *
 * Every line ends in a newline; an empty buffer gives an empty string.
 */

const PER_LINE = 16;

function hex2(n: number): string {
  return (n < 16 ? '0' : '') + n.toString(16);
}

/** The hex dump of `data`, offsets starting at `ofs`; without `ascii`, lines end after the last byte. */
export function hexDump(data: Uint8Array, ofs = 0, ascii = true): string {
  let out = '';
  for (let line = 0; line < data.length; line += PER_LINE) {
    const end = Math.min(line + PER_LINE, data.length);
    out += (ofs + line).toString(16).padStart(8, '0') + '  ';
    let chars = '';
    let bytes = '';
    for (let i = 0; i < PER_LINE; i++) {
      if (line + i < end) {
        const c = data[line + i]!;
        bytes += hex2(c) + (i === PER_LINE / 2 - 1 ? '-' : ' ');
        chars += c >= 32 && c < 127 ? String.fromCharCode(c) : '.';
      } else if (ascii) {
        bytes += '   ';
        chars += ' ';
      }
    }
    out += ascii ? bytes + '|' + chars + '|\n' : bytes.replace(/ +$/, '') + '\n';
  }
  return out;
}

/** Bytes as OVS's ds_put_printable() shows them: printable ASCII but `\` as is, others as `\ooo`. */
export function printable(data: Uint8Array): string {
  let s = '';
  for (const c of data)
    s += c >= 32 && c < 127 && c !== 0x5c ? String.fromCharCode(c) : '\\' + c.toString(8).padStart(3, '0');
  return s;
}
