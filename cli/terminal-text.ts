/**
 * What the CLI prints that came from the server or from the input file passes through `terminalText`: ANSI escape
 * sequences (CSI `ESC [ ... final`, OSC `ESC ] ... BEL|ST`, and the other two-character ESC sequences) and every other
 * control character (C0 but newline and tab, DEL, C1 such as the one-byte CSI U+009B) are removed, so a server's or a
 * file's text cannot move the cursor, rewrite the screen, set the window title or hide what follows.
 */

// Built from code points so that this file holds no control character itself.
const ESC = String.fromCharCode(0x1b);
const BEL = String.fromCharCode(0x07);
const CSI_8BIT = String.fromCharCode(0x9b);
const OSC_8BIT = String.fromCharCode(0x9d);
const ST_8BIT = String.fromCharCode(0x9c);

const ANSI = new RegExp(
  [
    // OSC, DCS, SOS, PM, APC: up to BEL or ST (ESC \ or U+009C), or to the end when unterminated.
    `(?:${ESC}[\\]PX^_]|${OSC_8BIT})[\\s\\S]*?(?:${BEL}|${ESC}\\\\|${ST_8BIT}|$)`,
    // CSI: parameters, intermediates, one final byte.
    `(?:${ESC}\\[|${CSI_8BIT})[\\x30-\\x3f]*[\\x20-\\x2f]*[\\x40-\\x7e]?`,
    // Any other ESC sequence: ESC, intermediates, one final byte.
    `${ESC}[\\x20-\\x2f]*[\\x30-\\x7e]?`,
  ].join('|'),
  'g',
);
/** Cc (C0, DEL and C1) but tab and newline. */
const CONTROL = /(?![\t\n])\p{Cc}/gu;

export function terminalText(text: string): string {
  return text.replace(ANSI, '').replace(CONTROL, '');
}
