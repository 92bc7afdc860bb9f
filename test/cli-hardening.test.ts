/**
 * The operator CLI (`npm run onboard`) against real local HTTP servers: `--api` must be https:// (plain http:// only to
 * a loopback host); a redirect is refused with an error that names its Location, and the signed headers and the body
 * never reach the other URL; and nothing the server or the input file says reaches the terminal with its control
 * characters or ANSI escapes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiUrlError, checkApiUrl, isLoopbackHost } from '#cli/api-url';
import { BatchClient, plainSend } from '#cli/batch-client';
import { EXIT, main, type CliIo } from '#cli/onboard-cli';
import { signedSend } from '#cli/signed-fetch';
import { terminalText } from '#cli/terminal-text';
import { tempDataDir } from '#testkit/test-stack';
import { linkRequest } from './support/requests';

const ESC = String.fromCharCode(0x1b);
/** Control characters but newline and tab, ANSI escapes included (ESC is one). */
const UNSAFE = /(?![\t\n])\p{Cc}/u;

function captureIo(): CliIo & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    out: (l) => lines.push(l),
    err: (l) => lines.push(l),
    stream: new PassThrough() as unknown as NodeJS.WriteStream,
  };
}

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const servers: Server[] = [];

async function serve(
  answer: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      answer(req, res);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

describe('--api', () => {
  it('takes https://, and http:// only to 127.0.0.0/8, localhost or [::1]', () => {
    for (const ok of [
      'https://abc.execute-api.eu-west-1.amazonaws.com/v1/',
      'http://127.0.0.1:3000',
      'http://127.9.8.7',
      'http://localhost:3000',
      'http://LOCALHOST',
      'http://[::1]:3000',
    ])
      expect(checkApiUrl(ok).href).toBe(new URL(ok).href);
    for (const bad of [
      'http://abc.execute-api.eu-west-1.amazonaws.com/v1/',
      'http://10.0.0.1',
      'http://128.0.0.1',
      'http://127.0.0.1.example.com',
      'http://localhost.example.com',
      'http://[::ffff:7f00:1]',
      'http://[::2]',
      'ftp://127.0.0.1',
      'file:///etc/passwd',
      'https://user:pass@example.com',
      'not a url',
    ])
      expect(() => checkApiUrl(bad), bad).toThrow(ApiUrlError);
  });

  it('fast-check: a plain http:// host is accepted exactly when it is loopback', () => {
    const host = fc.oneof(
      fc.ipV4(),
      fc.domain(),
      fc.constantFrom('localhost', '[::1]', '[::]', '0.0.0.0', '127.0.0.1', '127.255.255.255'),
    );
    fc.assert(
      fc.property(host, (h) => {
        const url = `http://${h}/v1/`;
        const loopback = isLoopbackHost(new URL(url).hostname);
        expect(loopback).toBe(h === 'localhost' || h === '[::1]' || /^127\./.test(h));
        if (loopback) expect(checkApiUrl(url).hostname).toBe(new URL(url).hostname);
        else expect(() => checkApiUrl(url)).toThrow(ApiUrlError);
      }),
      { numRuns: 300 },
    );
  });

  it('the CLI refuses a plain http:// --api to another host before any request, exit 2', async () => {
    const io = captureIo();
    const code = await main(['--follow', 'bat-0000000000000000', '--api', 'http://example.com/v1/'], io, {
      ...process.env,
      AWS_REGION: 'eu-west-1',
    });
    expect(code).toBe(EXIT.refused);
    expect(io.lines.join('\n')).toMatch(/--api must be https:\/\/ .*not example\.com/);
  });
});

describe('redirects are refused, never followed', () => {
  it('a signed POST answered 307: an error naming the Location; the other server sees nothing', async () => {
    const elsewhere = await serve((_req, res) => res.end('{}'));
    const api = await serve((_req, res) => {
      res.writeHead(307, { location: `${elsewhere.url}/steal` });
      res.end();
    });
    const send = signedSend(api.url, { region: 'eu-west-1', credentials: CREDENTIALS });
    const client = new BatchClient(send);
    await expect(client.submit({ json: { items: [linkRequest('5000000001')] } }, 'k-1')).rejects.toThrow(
      `a redirect to ${elsewhere.url}/steal: not followed`,
    );
    expect(api.seen).toHaveLength(1);
    expect(api.seen[0]!.headers['x-amz-date']).toBeDefined();
    expect(elsewhere.seen).toEqual([]);
  });

  it('every 3xx, on every method, through the plain client too', async () => {
    const elsewhere = await serve((_req, res) => res.end('{}'));
    for (const status of [301, 302, 303, 307, 308]) {
      const api = await serve((_req, res) => {
        res.writeHead(status, { location: `${elsewhere.url}/x` });
        res.end();
      });
      const client = new BatchClient(plainSend(api.url));
      await expect(client.get('bat-0000000000000000')).rejects.toThrow(`answered ${status}, a redirect`);
      await expect(client.cancel('bat-0000000000000000')).rejects.toThrow(`answered ${status}, a redirect`);
    }
    expect(elsewhere.seen).toEqual([]);
  });

  it('the CLI reports the redirect in one clean line, exit 2', async () => {
    const api = await serve((_req, res) => {
      // A header may hold latin-1 but not ESC: the one-byte CSI (U+009B) is the escape a server can send here.
      res.writeHead(302, { location: `https://evil.example/${String.fromCharCode(0x9b)}2Jx` });
      res.end();
    });
    const io = captureIo();
    const port = new URL(api.url).port;
    const code = await main(['--follow', 'bat-0000000000000000'], io, { ...process.env, PORT: port });
    expect(code).toBe(EXIT.refused);
    expect(io.lines.join('\n')).toContain('a redirect to https://evil.example/');
    for (const line of io.lines) expect(line).not.toMatch(UNSAFE);
  });
});

describe('what the server or the file says reaches the terminal without control characters', () => {
  const hostile = [
    `${ESC}[2J${ESC}[H`,
    `${ESC}]0;owned${String.fromCharCode(7)}`,
    `${ESC}]8;;https://evil.example${ESC}\\click${ESC}]8;;${ESC}\\`,
    `${String.fromCharCode(0x9b)}31m`,
    '\r\u0000\u0008\u007f\u0085',
  ];

  it('a refusal whose message and issues hold escapes and control characters', async () => {
    const api = await serve((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          message: `refused ${hostile.join(' ')}`,
          issues: hostile.map((h, i) => ({ path: `items.${i}${h}`, message: `bad ${h} value` })),
        }),
      );
    });
    const file = join(tempDataDir('cli-hardening-'), 'batch.json');
    writeFileSync(file, JSON.stringify({ items: [linkRequest('5000000002')] }));
    const io = captureIo();
    const code = await main([file], io, { ...process.env, PORT: new URL(api.url).port });
    expect(code).toBe(EXIT.refused);
    expect(io.lines.join('\n')).toContain('refused');
    expect(io.lines.some((l) => l.includes('items.4'))).toBe(true);
    for (const line of io.lines) expect(line).not.toMatch(UNSAFE);
  });

  it("a dry run of a CSV whose header names hold escapes: the file's text is cleaned too", async () => {
    const file = join(tempDataDir('cli-hardening-'), 'batch.csv');
    writeFileSync(file, `customerId,${hostile.map((h) => `col${h}`).join(',')},managementType,services\n1,,,,,,x,y\n`);
    const io = captureIo();
    const code = await main([file, '--dry-run'], io, process.env);
    expect(code).toBe(EXIT.refused);
    expect(io.lines.join('\n')).toMatch(/unknown column/);
    for (const line of io.lines) expect(line).not.toMatch(UNSAFE);
  });

  it('fast-check: terminalText leaves no control character but newline and tab, and keeps printable text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ maxLength: 40 }), (noise, plain) => {
        const cleaned = terminalText(noise);
        expect(cleaned).not.toMatch(UNSAFE);
        const printable = plain.replace(/\p{Cc}/gu, '');
        expect(terminalText(printable)).toBe(printable);
      }),
      { numRuns: 500 },
    );
  });
});
