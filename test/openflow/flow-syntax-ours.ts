/*
 * Our side of the flow-syntax checks: what ofdp's parser makes of a flow, in the forms the tests
 * compare with ovs-ofctl's (the parse-flow text and the warnings, or the error message). Only a
 * FlowSyntaxError counts as the parser rejecting a flow; any other exception is a bug and escapes.
 */
import { formatParsedFlows } from '../../src/cli/commands/ofctl/parse-flow.js';
import { FlowSyntaxError, parseFlow } from '../../src/openflow/flow-syntax/index.js';

/** `ofdp ofctl parse-flow` output and warnings for `flow`, or the message it was rejected with. */
export function ours(flow: string): { text: string; warnings: string[] } | { error: string } {
  try {
    const f = parseFlow(flow);
    return {
      text: formatParsedFlows({ flows: [f], usableProtocols: f.usableProtocols }),
      warnings: f.warnings,
    };
  } catch (e) {
    if (e instanceof FlowSyntaxError) return { error: e.message };
    throw e;
  }
}

/** The FlowSyntaxError message `f` throws (the test fails if it throws nothing, or anything else). */
export function flowSyntaxError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof FlowSyntaxError) return e.message;
    throw e;
  }
  throw new Error('expected a FlowSyntaxError');
}
