/*
 * The tokenizer shared by matches and actions: OVS's ofputil_parse_key_value().
 *
 * A list is `key`, `key=value`, `key:value` or `key(value)` items separated by commas or white
 * space. After `=` or `:` the value runs to the next comma or white space, except that a
 * parenthesised group inside it is kept whole (`enqueue(1,2)`, `controller(max_len=10)`); after
 * `(` it runs to the matching `)`.
 */

export interface KeyValue {
  key: string;
  /** Empty when the item had no value. */
  value: string;
}

const SEPARATORS = ', \t\r\n';
const KEY_END = ':=(, \t\r\n';

/** Length of a value starting at `i` that ends at one of `delims` (parentheses nest). */
function valueLength(s: string, i: number, delims: string): number {
  let n = 0;
  while (i + n < s.length && !delims.includes(s[i + n]!)) {
    if (s[i + n] === '(') {
      let level = 0;
      do {
        const c = s[i + n];
        if (c === undefined) return n;
        if (c === '(') level++;
        else if (c === ')') level--;
        n++;
      } while (level > 0);
    } else {
      n++;
    }
  }
  return n;
}

/** All key/value items of `s`, in order. */
export function parseKeyValues(s: string): KeyValue[] {
  const out: KeyValue[] = [];
  let i = 0;
  while (true) {
    while (i < s.length && SEPARATORS.includes(s[i]!)) i++;
    if (i >= s.length) return out;
    let keyLen = 0;
    while (i + keyLen < s.length && !KEY_END.includes(s[i + keyLen]!)) keyLen++;
    const key = s.slice(i, i + keyLen);
    const delim = s[i + keyLen];
    i += keyLen + (delim === undefined ? 0 : 1);
    let valueDelims: string;
    if (delim === ':' || delim === '=') valueDelims = SEPARATORS;
    else if (delim === '(') valueDelims = ')';
    else {
      out.push({ key, value: '' });
      continue;
    }
    const len = valueLength(s, i, valueDelims);
    out.push({ key, value: s.slice(i, i + len) });
    i += len + (i + len < s.length ? 1 : 0);
  }
}

/**
 * OVS ofp_extract_actions(): the text after the first `action…=`, and the match text before
 * `action`. `actions` is undefined when there is no `action` or no `=` after it.
 */
export function splitActions(s: string): { match: string; actions: string | undefined } {
  const at = s.indexOf('action');
  if (at < 0) return { match: s, actions: undefined };
  const eq = s.indexOf('=', at + 1);
  return { match: s.slice(0, at), actions: eq < 0 ? undefined : s.slice(eq + 1) };
}
