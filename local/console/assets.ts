/**
 * The page's assets, built with esbuild from local/console/page/ on first request and kept in memory: one script
 * (the page, minified; the graph arrives laid out by the server) and one style sheet, plus the HTML shell that loads them.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { CONSOLE_ASSET_PREFIX } from './console-model';

const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));

export interface Asset {
  contentType: string;
  body: Buffer;
  etag: string;
}

export type Assets = Map<string, Asset>;

/** Paths the page is served at (the router lives in the fragment: `/#/onboardings/{id}`). */
export const PAGE_PATHS = ['/', '/index.html'] as const;

export async function buildAssets(): Promise<Assets> {
  const result = await build({
    entryPoints: { app: join(PAGE_DIR, 'page-main.ts'), style: join(PAGE_DIR, 'style.css') },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: true,
    legalComments: 'none',
    write: false,
    outdir: 'out',
    logLevel: 'silent',
  });
  const assets: Assets = new Map();
  for (const file of result.outputFiles) {
    const name = file.path.slice(file.path.lastIndexOf('/') + 1);
    const contentType = name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8';
    assets.set(`${CONSOLE_ASSET_PREFIX}/${name}`, asset(contentType, Buffer.from(file.contents)));
  }
  const page = asset('text/html; charset=utf-8', Buffer.from(html()));
  for (const path of PAGE_PATHS) assets.set(path, page);
  return assets;
}

function asset(contentType: string, body: Buffer): Asset {
  return { contentType, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

function html(): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>knox-onboarding · local console</title>',
    '<link rel="icon" href="data:,">',
    `<link rel="stylesheet" href="${CONSOLE_ASSET_PREFIX}/style.css">`,
    `<script defer src="${CONSOLE_ASSET_PREFIX}/app.js"></script>`,
    '</head>',
    '<body><div id="app"><p class="loading">Loading…</p></div></body>',
    '</html>',
    '',
  ].join('\n');
}
