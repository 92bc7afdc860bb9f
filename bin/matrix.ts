/** `npm run matrix`: writes docs/decision-matrix.md from the code that decides (lambdas/steps/decision-matrix.ts). */
import { writeFileSync } from 'node:fs';
import { MATRIX_PATH, renderDecisionMatrix } from '#lambdas/steps/matrix-markdown';

writeFileSync(new URL(`../${MATRIX_PATH}`, import.meta.url), renderDecisionMatrix());
console.log(`wrote ${MATRIX_PATH}`);
