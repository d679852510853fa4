"""os-ken's OpenFlow 1.0 codec as an oracle for ofdp's cross-check tests.

Reads one JSON request on stdin and writes one JSON answer on stdout, so a test
pays the interpreter start-up once per batch of hundreds of messages:

  request: {"parse": ["<hex>", ...], "build": [<spec>, ...], "constants": true}
  answer:  {"parse": [{"ok": <view>} | {"error": "..."}, ...],
            "build": [{"ok": "<hex>"} | {"error": "..."}, ...],
            "constants": {"OFPT_HELLO": 0, ...}}

constants: every upper-case integer constant of os_ken.ofproto.ofproto_v1_0.

parse: each message goes through os_ken.ofproto.ofproto_parser.msg(), the
entry point os-ken's controller uses, with a stand-in datapath. msg() swallows
parser exceptions (it logs them and returns None); the logged exception is
captured here and returned as the error, so a test can say why os-ken failed.

build: a spec names an os-ken class and its constructor arguments:
  {"cls": "OFPFlowMod", "xid": 7, "args": {...}, "attrs": {...}}
Argument values may themselves be specs (OFPMatch, actions), lists, or
{"hex": "..."} for bytes. "attrs" are set after construction, for classes
whose constructor does not take every field (OFPVendor). Messages get
datapath as their first argument; the xid is set before serialize().

A view is os-ken's decoded object, walked generically: {"cls": class name,
header fields for messages, then every attribute os-ken's own stringify
machinery reports}; a match also carries os-ken's nw_src_mask/nw_dst_mask
queries. os-ken's own converters render addresses (MACs as
"aa:bb:..", match IPs as dotted quads), bytes become hex, and integers
beyond 2**53 become decimal strings so JavaScript's JSON.parse keeps them exact.
"""
import binascii
import json
import logging
import sys

from os_ken.lib import stringify
from os_ken.ofproto import ofproto_parser
from os_ken.ofproto import ofproto_v1_0
from os_ken.ofproto import ofproto_v1_0_parser

MAX_SAFE_INTEGER = 2 ** 53 - 1


class Datapath(object):
    """What os-ken's message classes read from a connection: the protocol modules."""
    ofproto = ofproto_v1_0
    ofproto_parser = ofproto_v1_0_parser


DP = Datapath()


class LastError(logging.Handler):
    """Keeps the exception os-ken's msg() logged before returning None."""

    def __init__(self):
        super(LastError, self).__init__()
        self.error = None

    def emit(self, record):
        if record.exc_info and record.exc_info[1] is not None:
            e = record.exc_info[1]
            self.error = '%s: %s' % (type(e).__name__, e)
        else:
            self.error = record.getMessage()


LAST_ERROR = LastError()
_log = logging.getLogger('os_ken.ofproto.ofproto_parser')
_log.addHandler(LAST_ERROR)
_log.propagate = False


def view(v):
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int):
        return v if abs(v) <= MAX_SAFE_INTEGER else str(v)
    if isinstance(v, (bytes, bytearray)):
        return binascii.hexlify(bytes(v)).decode('ascii')
    if isinstance(v, str):
        return v
    if isinstance(v, (list, tuple)) and not hasattr(v, '_fields'):
        return [view(x) for x in v]
    if isinstance(v, dict):
        return {str(k): view(x) for k, x in v.items()}
    if isinstance(v, ofproto_v1_0_parser.OFPMatch):
        # os-ken's own rendering: MACs and IPs as text; plus the prefix
        # lengths its match API derives from the wildcards.
        fields = v.to_jsondict()['OFPMatch']
        out = {'cls': 'OFPMatch'}
        out.update({k: view(x) for k, x in fields.items()})
        out['nw_src_mask'] = v['nw_src_mask']
        out['nw_dst_mask'] = v['nw_dst_mask']
        return out
    if isinstance(v, stringify.StringifyMixin):
        out = {'cls': type(v).__name__}
        if isinstance(v, ofproto_parser.MsgBase):
            out.update(version=v.version, msg_type=v.msg_type,
                       msg_len=v.msg_len, xid=v.xid)
        overridden = type(v).to_jsondict is not stringify.StringifyMixin.to_jsondict
        if overridden and not isinstance(v, ofproto_parser.MsgBase):
            # Classes that render their own fields (set_dl_*/set_nw_* actions).
            for k, x in list(v.to_jsondict().values())[0].items():
                out[k] = view(x)
            return out
        for k, x in stringify.obj_attrs(v):
            if k == 'datapath':
                continue
            t = type(v)._get_type(k)
            if t is not None and isinstance(x, (bytes, bytearray)):
                x = t.encode(x)
            out[k] = view(x)
        return out
    raise TypeError('no view for %r' % (v,))


def parse(hex_):
    buf = binascii.unhexlify(hex_)
    LAST_ERROR.error = None
    try:
        version, msg_type, msg_len, xid = ofproto_parser.header(buf)
        msg = ofproto_parser.msg(DP, version, msg_type, msg_len, xid, buf)
    except Exception as e:  # msg() re-raises truncation and unknown versions
        return {'error': '%s: %s' % (type(e).__name__, e)}
    if msg is None:
        return {'error': LAST_ERROR.error or 'os-ken returned no message'}
    return {'ok': view(msg)}


def construct(spec):
    if isinstance(spec, list):
        return [construct(x) for x in spec]
    if not isinstance(spec, dict):
        return spec
    if 'hex' in spec:
        return binascii.unhexlify(spec['hex'])
    cls = getattr(ofproto_v1_0_parser, spec['cls'])
    args = {k: construct(x) for k, x in spec.get('args', {}).items()}
    if issubclass(cls, ofproto_parser.MsgBase):
        obj = cls(DP, **args)
    else:
        obj = cls(**args)
    for k, x in spec.get('attrs', {}).items():
        setattr(obj, k, construct(x))
    return obj


def build(spec):
    try:
        msg = construct(spec)
        if 'xid' in spec:
            msg.xid = spec['xid']
        msg.serialize()
        return {'ok': binascii.hexlify(bytes(msg.buf)).decode('ascii')}
    except Exception as e:
        return {'error': '%s: %s' % (type(e).__name__, e)}


def main():
    request = json.load(sys.stdin)
    answer = {
        'parse': [parse(h) for h in request.get('parse', [])],
        'build': [build(s) for s in request.get('build', [])],
    }
    if request.get('constants'):
        answer['constants'] = {
            k: v for k, v in vars(ofproto_v1_0).items()
            if k.isupper() and isinstance(v, int) and not isinstance(v, bool)}
    json.dump(answer, sys.stdout)


if __name__ == '__main__':
    main()
