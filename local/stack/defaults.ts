/** The local stack's defaults (README.md, "The local stack"), in a module light enough for the CLI to import. */
export const DEFAULT_PORT = 3000;
export const DEFAULT_DATA_DIR = '.local/data';
