// Node.js 20 lacks Promise.withResolvers, which aws-local-stepfunctions needs (Lambda runs Node.js 22).
import '#local/stepfunctions/polyfills';
