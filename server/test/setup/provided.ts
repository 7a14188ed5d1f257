// Values the global setups hand to test workers through vitest's provide/inject.
declare module 'vitest' {
  export interface ProvidedContext {
    /** A tarball of a migrated PGlite data directory (`dumpDataDir`), made once per run. */
    pgliteTemplatePath: string;
    /**
     * The name of a migrated PostgreSQL database made for this run, which each test file copies its
     * own from (`fileDatabaseUrl`); all are dropped after the run.
     */
    postgresTemplate: string;
    /** A database on the same server to connect to for creating and dropping others. */
    postgresAdminUrl: string;
  }
}

export {};
