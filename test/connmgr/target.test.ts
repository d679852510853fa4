import { describe, expect, it } from 'vitest';
import {
  TargetError,
  formatTarget,
  parseActiveTarget,
  parsePassiveTarget,
  parseTarget,
} from '../../src/connmgr/index.js';

describe('parseTarget', () => {
  it.each([
    [
      'tcp:192.0.2.1',
      { kind: 'active', transport: 'tcp', host: '192.0.2.1', port: 6653 },
      'tcp:192.0.2.1:6653',
    ],
    [
      'tcp:127.0.0.1:6633',
      { kind: 'active', transport: 'tcp', host: '127.0.0.1', port: 6633 },
      'tcp:127.0.0.1:6633',
    ],
    ['tcp:[::1]:7000', { kind: 'active', transport: 'tcp', host: '::1', port: 7000 }, 'tcp:[::1]:7000'],
    [
      'tcp:[fe80::1]',
      { kind: 'active', transport: 'tcp', host: 'fe80::1', port: 6653 },
      'tcp:[fe80::1]:6653',
    ],
    ['ssl:10.0.0.1', { kind: 'active', transport: 'ssl', host: '10.0.0.1', port: 6653 }, 'ssl:10.0.0.1:6653'],
    ['unix:/run/c.sock', { kind: 'active', transport: 'unix', path: '/run/c.sock' }, 'unix:/run/c.sock'],
    ['ptcp:', { kind: 'passive', transport: 'tcp', host: '127.0.0.1', port: 6653 }, 'ptcp:6653:127.0.0.1'],
    ['ptcp', { kind: 'passive', transport: 'tcp', host: '127.0.0.1', port: 6653 }, 'ptcp:6653:127.0.0.1'],
    [
      'ptcp:6634',
      { kind: 'passive', transport: 'tcp', host: '127.0.0.1', port: 6634 },
      'ptcp:6634:127.0.0.1',
    ],
    ['ptcp:0', { kind: 'passive', transport: 'tcp', host: '127.0.0.1', port: 0 }, 'ptcp:0:127.0.0.1'],
    [
      'ptcp::0.0.0.0',
      { kind: 'passive', transport: 'tcp', host: '0.0.0.0', port: 6653 },
      'ptcp:6653:0.0.0.0',
    ],
    ['ptcp:6653:[::]', { kind: 'passive', transport: 'tcp', host: '::', port: 6653 }, 'ptcp:6653:[::]'],
    ['ptcp:6653:::1', { kind: 'passive', transport: 'tcp', host: '::1', port: 6653 }, 'ptcp:6653:[::1]'],
    [
      'pssl:6655:10.1.2.3',
      { kind: 'passive', transport: 'ssl', host: '10.1.2.3', port: 6655 },
      'pssl:6655:10.1.2.3',
    ],
    [
      'punix:/tmp/br0.mgmt',
      { kind: 'passive', transport: 'unix', path: '/tmp/br0.mgmt' },
      'punix:/tmp/br0.mgmt',
    ],
  ])('%s', (text, expected, canonical) => {
    const t = parseTarget(text);
    expect(t).toEqual(expected);
    expect(formatTarget(t)).toBe(canonical);
    expect(parseTarget(canonical)).toEqual(t);
  });

  it.each([
    ['tcp', 'expected tcp:IP[:PORT]'],
    ['tcp:', 'expected tcp:IP[:PORT]'],
    ['tcp:localhost', '"localhost" is not an IP address'],
    ['tcp:1.2.3.4:0', 'port 0 is out of range'],
    ['tcp:1.2.3.4:65536', 'port 65536 is out of range'],
    ['tcp:1.2.3.4:x', '"x" is not a port number'],
    ['tcp:::1', 'write IPv6 addresses in brackets'],
    ['tcp:[::1', 'missing "]"'],
    ['ptcp:abc', '"abc" is not a port number'],
    ['ptcp:6653:nowhere', '"nowhere" is not an IP address'],
    ['unix:', 'expected unix:PATH'],
    ['punix:', 'expected punix:PATH'],
    ['udp:1.2.3.4', 'unknown connection method "udp"'],
  ])('rejects %s with one clear line', (text, why) => {
    let err: unknown;
    try {
      parseTarget(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TargetError);
    const msg = (err as Error).message;
    expect(msg).toContain(`"${text}"`);
    expect(msg).toContain(why);
    expect(msg).not.toContain('\n');
  });

  it('checks the direction for --controller and --listen', () => {
    expect(() => parseActiveTarget('ptcp:6653')).toThrow(/passive target; a controller needs/);
    expect(() => parsePassiveTarget('tcp:1.2.3.4')).toThrow(/active target; a listener needs/);
    expect(parseActiveTarget('unix:/x').kind).toBe('active');
    expect(parsePassiveTarget('punix:/x').kind).toBe('passive');
  });
});
