/**
 * Shared by the Knox client suites (scripted fetch, the simulator, the liar): the KnoxError a call must fail with.
 */
import { expect } from 'vitest';
import { KnoxError } from '../../lib/domain/knox-answer';

/** The KnoxError `promise` rejects with; anything else (a success, another error) fails the test. */
export async function caught(promise: Promise<unknown>): Promise<KnoxError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(KnoxError);
    return error as KnoxError;
  }
  throw new Error('expected the call to fail with a KnoxError');
}
