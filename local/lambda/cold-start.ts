/**
 * Every start of the local stack is a cold start of every function: the handler modules keep their AWS SDK clients,
 * their Knox client (with its token) and Powertools' secret provider (with its client and cache) in module scope, created from process.env on first
 * use, as a Lambda container does. A second start in the same process (a restart test) gets new endpoints, so those
 * are dropped through the modules' own reset functions, and the next invocation builds them from the new environment.
 * Imported dynamically: the modules must load after the stack has set process.env (their logger reads it at load).
 */
export async function coldStartFunctions(): Promise<void> {
  const [store, workflows, knox, callbacks, batchCallback] = await Promise.all([
    import('#lambdas/store/index'),
    import('#lambdas/api/executions'),
    import('#lambdas/steps/knox'),
    import('#lambdas/poller/callbacks'),
    import('#lambdas/batches/batch-callback'),
  ]);
  store.resetStoreClient();
  batchCallback.resetBatchCallbackClient();
  workflows.resetWorkflowClient();
  callbacks.resetSfnClient();
  knox.resetKnoxClient();
  // Powertools keeps one provider per kind (with its Secrets Manager client) for the process; clearCaches() (in
  // resetKnoxClient) empties their caches but keeps their clients. Dropping them makes getSecret build a new one.
  const { DEFAULT_PROVIDERS } = await import('@aws-lambda-powertools/parameters/base');
  for (const kind of Object.keys(DEFAULT_PROVIDERS)) delete DEFAULT_PROVIDERS[kind];
}
