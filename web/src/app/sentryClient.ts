/**
 * The parts of `@sentry/browser` the console's self-reporting uses, named one by one: imported as a whole
 * namespace, the SDK would bring replay, feedback and tracing along (145 kB gzipped); this module is
 * loaded on its own, only when the server gives a DSN.
 */
export { captureException, init, withScope } from '@sentry/browser';
