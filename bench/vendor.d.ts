// benchmark.js's own dependencies, handed to it in bench/harness.ts; used untyped.
declare module 'lodash';
declare module 'platform';
