/**
 * Where each Lambda function's bundle is in cdk.out/: the function is found by its `knox-onboarding:handler`
 * Metadata, its asset by the `aws:asset:path` Metadata CDK writes (or, failing that, by the hash in Code.S3Key:
 * `<hash>.zip` is the zip of `cdk.out/asset.<hash>/`). The bundle is that directory's index.mjs.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { METADATA_KEYS } from '#infra/metadata';
import { templatePath } from '#local/template/synth';
import { readTemplate } from '#local/template/template';

export interface FunctionBundle {
  handler: string;
  logicalId: string;
  /** Absolute path of the bundled entry (index.mjs). */
  path: string;
  bytes: number;
  /** Bytes of the source map beside it (shipped in the zip, read at load with --enable-source-maps). */
  mapBytes: number;
  /** The function's NODE_OPTIONS (its Environment), which Lambda applies at every cold start. */
  nodeOptions: string;
}

const BUNDLE_FILE = 'index.mjs';

export function functionBundles(template = templatePath()): FunctionBundle[] {
  const cdkOut = dirname(template);
  const resources = readTemplate(template).Resources;
  const out: FunctionBundle[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const handler = resource.Metadata?.[METADATA_KEYS.handler];
    if (typeof handler !== 'string') continue;
    const dir = assetDir(cdkOut, resource.Metadata, resource.Properties);
    const path = join(dir, BUNDLE_FILE);
    if (!existsSync(path)) throw new Error(`function ${handler} (${logicalId}): no bundle at ${path}`);
    const map = `${path}.map`;
    const env =
      (resource.Properties?.['Environment'] as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    out.push({
      handler,
      logicalId,
      path,
      bytes: statSync(path).size,
      mapBytes: existsSync(map) ? statSync(map).size : 0,
      nodeOptions: typeof env['NODE_OPTIONS'] === 'string' ? env['NODE_OPTIONS'] : '',
    });
  }
  if (out.length === 0) throw new Error(`no function with ${METADATA_KEYS.handler} Metadata in ${template}`);
  return out.sort((a, b) => a.handler.localeCompare(b.handler));
}

function assetDir(
  cdkOut: string,
  metadata: Record<string, unknown> | undefined,
  properties: Record<string, unknown> | undefined,
): string {
  const assetPath = metadata?.['aws:asset:path'];
  if (typeof assetPath === 'string') return join(cdkOut, assetPath);
  const key = (properties?.['Code'] as { S3Key?: unknown } | undefined)?.S3Key;
  const hash = typeof key === 'string' ? /^([0-9a-f]{64})\.zip$/.exec(key)?.[1] : undefined;
  if (!hash) throw new Error('a function has neither aws:asset:path Metadata nor a Code.S3Key of the form <hash>.zip');
  return join(cdkOut, `asset.${hash}`);
}
