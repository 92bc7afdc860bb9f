/** The Knox MSP domain: one import for the error table, the schemas, the dispositions and the workflow names. */
export * from './dispositions';
export * from './knox-errors';
export * from './knox-answer';
export * from './knox-schemas';
export * from './api-schemas';
export * from './state-names';
export * from './function-names';
export * from './payloads';
export * from './table-layout';
export * from './configuration';
export * from './record';
export * from './routes';
