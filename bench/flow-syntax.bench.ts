/*
 * Flow-syntax parsing rate (add-flows files of thousands of lines should load in well under a
 * second): a typical flow and one with many fields and actions.
 */
import { parseFlow } from '../src/openflow/flow-syntax/index.js';
import { rate, type Report } from './harness.js';

const SIMPLE = 'priority=300,udp,nw_src=10.0.0.0/24,tp_dst=53,actions=output:1';
const RICH =
  'priority=100,in_port=1,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,dl_vlan=10,dl_vlan_pcp=3,tcp,' +
  'nw_src=10.0.0.0/8,nw_dst=192.168.1.1,nw_tos=16,tp_src=1024,tp_dst=80,idle_timeout=60,cookie=0x42,send_flow_rem,' +
  'actions=mod_dl_src:00:00:00:00:00:01,mod_nw_dst:1.2.3.4,mod_tp_dst:8080,mod_vlan_vid:20,enqueue:2:1,output:3,controller:64';

export function run(report: Report): void {
  report(
    'flow-syntax parse simple',
    rate(() => parseFlow(SIMPLE)),
    'flows/s',
  );
  report(
    'flow-syntax parse rich',
    rate(() => parseFlow(RICH)),
    'flows/s',
  );
}
