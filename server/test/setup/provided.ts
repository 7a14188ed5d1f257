// Values the global setups hand to test workers through vitest's provide/inject.
declare module 'vitest' {
  export interface ProvidedContext {
    /** A tarball of a migrated PGlite data directory (`dumpDataDir`), made once per run. */
    pgliteTemplatePath: string;
    /** A migrated PostgreSQL database made for this run and dropped after it. */
    postgresUrl: string;
  }
}

export {};
