/*
 * ovs-ofctl's OpenFlow 1.0 flow syntax: text to FLOW_MOD (this module) and FLOW_MOD to text (the
 * printer's formatMatch/formatActions in ../print). See parse-flow.ts for the rules.
 */
export { FlowSyntaxError } from './errors.js';
export {
  parseFlow,
  parseFlowMatch,
  FLOW_COMMANDS,
  type FlowCommandName,
  type FlowMod,
  type FlowParseOptions,
  type ParsedFlow,
  type ParsedMatch,
  type UsableProtocols,
} from './parse-flow.js';
export { parseFlowFile, flowFileLines, type FlowFileOptions, type ParsedFlowFile } from './flow-file.js';
export { portNameMap, parsePort, type PortNameMap } from './ports.js';
