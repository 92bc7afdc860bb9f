// Node's own dynamic import, for function-bundles.ts. Loaded with require() (Node's CommonJS loader), so that this
// import() is Node's: test runners rewrite the import() calls of the ES modules they transform, and code they
// evaluate (eval, new Function) has no dynamic import at all.
module.exports = (url) => import(url);
