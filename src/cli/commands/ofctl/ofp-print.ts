/*
 * `ofdp ofctl ofp-print HEX [VERBOSITY]`: what `ovs-ofctl ofp-print` prints for one message given in
 * hex; `ofdp ofctl ofp-print --pcap FILE [PORT…]`: what `ovs-ofctl ofp-parse-pcap FILE [PORT…]`
 * prints for the OpenFlow messages in a classic pcap capture.
 *
 * Hex is read as ovs-ofctl reads it: pairs of hex digits, optionally separated by white space
 * (spaces, tabs, newlines); anything else is "trailing garbage" and exits with status 1.
 */
import type { Argv, CommandModule } from 'yargs';

/** Parses hex as ovs-ofctl's ofpbuf_put_hex(); undefined when garbage follows the bytes. */
export function parseOfctlHex(s: string): Buffer | undefined {
  const out: number[] = [];
  let i = 0;
  for (;;) {
    while (i < s.length && ' \t\r\n'.includes(s[i]!)) i++;
    const pair = s.slice(i, i + 2);
    if (!/^[0-9a-fA-F]{2}$/.test(pair)) break;
    out.push(parseInt(pair, 16));
    i += 2;
  }
  return i === s.length ? Buffer.from(out) : undefined;
}

interface Args {
  hex?: string;
  verbosity?: string;
  pcap?: string;
  ports?: string[];
}

export const ofpPrintCommand: CommandModule<object, Args> = {
  command: 'ofp-print [hex] [verbosity]',
  describe: 'print an OpenFlow 1.0 message given in hex (or the messages in a pcap) as ovs-ofctl does',
  builder: (y: Argv) =>
    y
      .positional('hex', {
        type: 'string',
        describe: 'the message in hex; white space between bytes is allowed',
      })
      .positional('verbosity', { type: 'string', describe: 'ovs-ofctl verbosity (default 2)' })
      .option('pcap', {
        type: 'string',
        describe: 'print every OpenFlow message in this classic pcap file, as ovs-ofctl ofp-parse-pcap',
      })
      .option('ports', {
        type: 'string',
        array: true,
        describe:
          'with --pcap: the OpenFlow TCP ports (default 6653 and 6633); also taken from the positionals',
      })
      .example('$0 ofctl ofp-print "01 00 00 08 00 00 00 01"', 'print a HELLO')
      .example('$0 ofctl ofp-print --pcap session.pcap 6653', 'print a capture') as unknown as Argv<Args>,
  handler: async (args) => {
    if (args.pcap !== undefined) {
      const { readFile } = await import('node:fs/promises');
      const { parsePcapText, DEFAULT_OPENFLOW_PORTS } = await import('../../../capture/parse-pcap.js');
      const portArgs = [args.hex, args.verbosity, ...(args.ports ?? [])].filter(
        (p): p is string => p !== undefined,
      );
      const ports = portArgs.map((p) => Number(p));
      if (ports.some((p) => !Number.isInteger(p) || p < 0 || p > 65535)) {
        process.stderr.write(`ofdp: bad port in ${portArgs.join(' ')}\n`);
        process.exitCode = 1;
        return;
      }
      let data: Buffer;
      try {
        data = await readFile(args.pcap);
      } catch (e) {
        process.stderr.write(`ofdp: ${args.pcap}: open failed (${(e as Error).message})\n`);
        process.exitCode = 1;
        return;
      }
      try {
        // The printer's text is bytes as OVS writes them (names and descriptions are raw latin1).
        process.stdout.write(
          Buffer.from(parsePcapText(data, ports.length ? ports : DEFAULT_OPENFLOW_PORTS), 'latin1'),
        );
      } catch (e) {
        process.stderr.write(`ofdp: ${args.pcap}: ${(e as Error).message}\n`);
        process.exitCode = 1;
      }
      return;
    }
    if (args.hex === undefined) {
      process.stderr.write('ofdp: ofctl ofp-print needs HEX (or --pcap FILE)\n');
      process.exitCode = 2;
      return;
    }
    const { printBytes } = await import('../../../openflow/print/print-bytes.js');
    const bytes = parseOfctlHex(args.hex);
    if (!bytes) {
      process.stderr.write('ofdp: trailing garbage following hex bytes\n');
      process.exitCode = 1;
      return;
    }
    const verbosity = args.verbosity === undefined ? 2 : Number(args.verbosity);
    process.stdout.write(
      Buffer.from(printBytes(bytes, { verbosity: Number.isInteger(verbosity) ? verbosity : 2 }), 'latin1'),
    );
  },
};
