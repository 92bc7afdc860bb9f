/**
 * Where the CPU went in a throughput run, from a V8 .cpuprofile: self time grouped into the parts of the local stack
 * (the AWS SDK clients, dynalite and its LevelDB, the Step Functions engine, HTTP plumbing, zod, our own code, GC).
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { PROJECT_DIR } from '#local/template/synth';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Files of this project under `dirs` (a regex alternation of folders), not those of its dependencies. */
function ownDir(dirs: string): RegExp {
  const root = pathToFileURL(PROJECT_DIR)
    .href.replace(/\/?$/, '/')
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${root}(${dirs})/`);
}

/** First matching rule names the part; parents decide for native frames (e.g. LevelDB's bindings under dynalite). */
const PARTS: [string, RegExp][] = [
  [
    'AWS SDK (clients, signing, (de)serialization)',
    /node_modules\/(@smithy|@aws-sdk|@aws-crypto|fast-xml-parser|tslib)\//,
  ],
  [
    'dynalite + LevelDB (local DynamoDB server)',
    /node_modules\/(dynalite|classic-level|abstract-level|level-[^/]+|lazy|async|big\.js|once)\//,
  ],
  [
    'Step Functions engine (aws-local-stepfunctions)',
    /node_modules\/(aws-local-stepfunctions|jsonpath-plus|asl-validator|ajv|p-limit)\//,
  ],
  ['zod', /node_modules\/zod\//],
  ['Powertools', /node_modules\/@aws-lambda-powertools\//],
  ['local stack (local/)', ownDir('local')],
  ['handlers (lambdas/)', ownDir('lambdas')],
  ['Knox simulator + client (knox-sim/, lib/knox)', ownDir('knox-sim|lib/knox')],
  ['shared domain (lib/domain)', ownDir('lib/domain')],
  ['bench load generator', ownDir('bench')],
  [
    'HTTP, fetch and streams (Node.js)',
    /^node:(_http|http|net|internal\/(deps\/undici|streams|webstreams|stream_base|http|url))/,
  ],
  ['file writes (execution histories, LevelDB files)', /^node:(fs|internal\/fs)/],
  ['hashing and random ids (Node.js crypto)', /^node:(crypto|internal\/crypto)/],
  ['Node.js other (events, timers, buffers, promises)', /^node:/],
];

export function summarizeProfile(file: string): Record<string, number> {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const partOf = (id: number): string => {
    for (let n: number | undefined = id, depth = 0; n !== undefined && depth < 6; n = parent.get(n), depth++) {
      const frame = nodes.get(n)!.callFrame;
      if (depth === 0 && frame.url === '') {
        if (frame.functionName === '(garbage collector)') return 'garbage collection';
        if (frame.functionName === '(idle)') return 'idle';
        if (frame.functionName === '(program)') return 'V8 / runtime';
      }
      for (const [part, rule] of PARTS) if (rule.test(frame.url)) return part;
    }
    return 'other';
  };
  const ms: Record<string, number> = {};
  profile.samples.forEach((id, i) => {
    const part = partOf(id);
    ms[part] = (ms[part] ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000;
  });
  const total = Object.values(ms).reduce((a, b) => a + b, 0);
  return Object.fromEntries(
    Object.entries(ms)
      .sort(([, a], [, b]) => b - a)
      .map(([part, v]) => [part, Math.round((v / total) * 1000) / 10]),
  );
}
