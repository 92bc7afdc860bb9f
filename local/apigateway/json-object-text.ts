/**
 * Whether a request body is a JSON object, decided the way JSON.parse would but without building anything: the
 * local API Gateway's JSON-object model check (API Gateway validates a body against the method's model before the
 * integration runs). JSON.parse of 4 MB of unknown keys takes seconds of the one event loop the local stack has and
 * hundreds of MB of heap; this pass over the characters takes milliseconds and no memory, and the api Lambda (which
 * parses the body after its own shape scan) never sees a body API Gateway would refuse.
 */
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const ESCAPES = new Set([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]);
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

enum Mode {
  Value,
  After,
  Key,
}

export function isJsonObjectText(text: string): boolean {
  const n = text.length;
  let i = 0;
  const skip = (): void => {
    while (i < n && WHITESPACE.has(text.charCodeAt(i))) i++;
  };
  const string = (): boolean => {
    for (i++; i < n; ) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c !== 0x5c) {
        i++;
        continue;
      }
      const e = text.charCodeAt(i + 1);
      if (e === 0x75) {
        for (let k = 2; k < 6; k++) if (!isHex(text.charCodeAt(i + k))) return false;
        i += 6;
      } else if (ESCAPES.has(e)) i += 2;
      else return false;
    }
    return false;
  };
  const digits = (): boolean => {
    if (!isDigit(text.charCodeAt(i))) return false;
    while (isDigit(text.charCodeAt(i))) i++;
    return true;
  };
  const number = (): boolean => {
    if (text.charCodeAt(i) === 0x2d) i++;
    if (text.charCodeAt(i) === 0x30) i++;
    else if (!digits()) return false;
    if (text.charCodeAt(i) === 0x2e) {
      i++;
      if (!digits()) return false;
    }
    const e = text.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      i++;
      const sign = text.charCodeAt(i);
      if (sign === 0x2b || sign === 0x2d) i++;
      if (!digits()) return false;
    }
    return true;
  };
  const word = (w: string): boolean => {
    if (!text.startsWith(w, i)) return false;
    i += w.length;
    return true;
  };

  /** Open containers: true an object, false an array. */
  const open: boolean[] = [];
  skip();
  if (text.charCodeAt(i) !== 0x7b) return false;
  let mode = Mode.Value;
  for (;;) {
    skip();
    const c = text.charCodeAt(i);
    if (mode === Mode.Key) {
      if (c !== 0x22 || !string()) return false;
      skip();
      if (text.charCodeAt(i) !== 0x3a) return false;
      i++;
      mode = Mode.Value;
    } else if (mode === Mode.Value) {
      if (c === 0x7b || c === 0x5b) {
        i++;
        skip();
        if (text.charCodeAt(i) === (c === 0x7b ? 0x7d : 0x5d)) {
          i++;
          mode = Mode.After;
        } else {
          open.push(c === 0x7b);
          mode = c === 0x7b ? Mode.Key : Mode.Value;
        }
        continue;
      }
      const ok =
        c === 0x22
          ? string()
          : c === 0x74
            ? word('true')
            : c === 0x66
              ? word('false')
              : c === 0x6e
                ? word('null')
                : number();
      if (!ok) return false;
      mode = Mode.After;
    } else {
      if (open.length === 0) return i === n;
      const object = open[open.length - 1]!;
      if (c === 0x2c) {
        i++;
        mode = object ? Mode.Key : Mode.Value;
      } else if (c === (object ? 0x7d : 0x5d)) {
        i++;
        open.pop();
      } else return false;
    }
  }
}
