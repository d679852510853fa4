/*
 * ovs-ofctl's flow files (`add-flows FILE`, `parse-flows FILE`): one flow per line, `#` starts a
 * comment anywhere on a line, lines holding only spaces, tabs (after comment removal) are skipped.
 * There is no line continuation. In `add-flows` files (command `from-text`) each line may begin
 * with add/modify/modify_strict/delete/delete_strict; `parse-flows` reads every line as `add`.
 * Errors are prefixed "FILE:LINE: " as ovs-ofctl prints them.
 */
import { FlowSyntaxError } from './errors.js';
import { parseFlow, type FlowParseOptions, type ParsedFlow, type UsableProtocols } from './parse-flow.js';

export interface ParsedFlowFile {
  flows: ParsedFlow[];
  /** The protocols usable for every line (each line can narrow the set). */
  usableProtocols: UsableProtocols;
}

export interface FlowFileOptions extends FlowParseOptions {
  /** Name used in error messages (default `-`). */
  fileName?: string;
}

/** The non-blank lines of a flow file, comments removed, with their 1-based line numbers. */
export function flowFileLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    const hash = raw.indexOf('#');
    const line = hash >= 0 ? raw.slice(0, hash) : raw;
    if (/[^ \t\n]/.test(line)) out.push({ line: i + 1, text: line });
  });
  return out;
}

/** Parses a whole flow file; xids count up from `options.xid` (default 1). */
export function parseFlowFile(text: string, options: FlowFileOptions = {}): ParsedFlowFile {
  const flows: ParsedFlow[] = [];
  let usable: UsableProtocols = 'any';
  let xid = options.xid ?? 1;
  for (const { line, text: flowText } of flowFileLines(text)) {
    try {
      const f = parseFlow(flowText, { ...options, xid: xid++ });
      if (f.usableProtocols !== 'any') usable = f.usableProtocols;
      flows.push(f);
    } catch (e) {
      if (e instanceof FlowSyntaxError)
        throw new FlowSyntaxError(`${options.fileName ?? '-'}:${line}: ${e.message}`);
      throw e;
    }
  }
  return { flows, usableProtocols: usable };
}
