/**
 * `npm run executions [name]`: the executions of a running local stack (http://127.0.0.1:${PORT:-3000}) as a table,
 * or one execution's path through the diagram: the states in order, with failed attempts, retries and catches.
 */
import { executionDetailSchema, executionListSchema, formatDetail, formatList } from './execution-format';
import { DEFAULT_PORT } from '../stack/defaults';

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as unknown };
}

async function main(): Promise<void> {
  const port = Number(process.env.PORT || DEFAULT_PORT);
  const base = `http://127.0.0.1:${port}`;
  const name = process.argv[2];
  try {
    if (name === undefined) {
      const { body } = await getJson(`${base}/executions`);
      console.log(formatList(executionListSchema.parse(body).executions));
      return;
    }
    const { status, body } = await getJson(`${base}/executions/${encodeURIComponent(name)}`);
    if (status === 404) {
      console.error(`No execution named ${name} (npm run executions lists them).`);
      process.exitCode = 1;
      return;
    }
    console.log(formatDetail(executionDetailSchema.parse(body)));
  } catch (error) {
    if (error instanceof TypeError) {
      console.error(`No local stack answers on ${base} (start it with npm start, or set PORT).`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
}

void main();
