import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from "@prisma/driver-adapter-utils";
import type { SchemaEngine } from "@prisma/schema-engine-wasm";
import { splitSqlScript } from "./sql-script.js";

// Prisma's schema engine, compiled to WebAssembly and shipped on npm as @prisma/schema-engine-wasm.
// The Prisma CLI would download a native engine binary, which these machines (and many locked-down
// production hosts) cannot reach; the wasm build is the same engine and runs on a driver adapter, so
// migrations are applied exactly as `prisma migrate deploy` would, recorded in `_prisma_migrations`.
//
// The package's entry point does `import * as wasm from "./schema_engine_bg.wasm"`, which Node 20
// cannot load, so the module is instantiated by hand from its JS glue.

type WasmExports = Record<string, unknown>;
type Bindings = Record<string, unknown> & {
  __wbg_set_wasm(exports: WasmExports): void;
  SchemaEngine: typeof SchemaEngine;
};
// The WebAssembly global exists in Node but its types live in lib.dom; declare just what is used.
const wasmRuntime = (globalThis as unknown as {
  WebAssembly: {
    instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: WasmExports } }>;
  };
}).WebAssembly;

let loaded: Promise<typeof SchemaEngine> | undefined;

async function loadSchemaEngineClass(): Promise<typeof SchemaEngine> {
  const require = createRequire(import.meta.url);
  const dir = path.dirname(require.resolve("@prisma/schema-engine-wasm"));
  const bindings = (await import(pathToFileURL(path.join(dir, "schema_engine_bg.js")).href)) as Bindings;
  const imports: Record<string, unknown> = { ...bindings };
  // The engine arms 10 s timers (connection pool housekeeping) that would keep the process, and
  // Jest, alive after the work is done; unref them so they never hold the event loop open.
  for (const [name, fn] of Object.entries(bindings)) {
    if (name.startsWith("__wbg_setTimeout_") && typeof fn === "function") {
      imports[name] = (...args: unknown[]) => {
        const timer = (fn as (...a: unknown[]) => unknown)(...args);
        (timer as { unref?: () => void } | undefined)?.unref?.();
        return timer;
      };
    }
  }
  const bytes = await readFile(path.join(dir, "schema_engine_bg.wasm"));
  const { instance } = await wasmRuntime.instantiate(bytes, { "./schema_engine_bg.js": imports });
  bindings.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  return bindings.SchemaEngine;
}

/** A schema engine bound to one database, plus the cleanup that releases its connections. */
export interface SchemaEngineSession {
  engine: SchemaEngine;
  close(): Promise<void>;
}

/** Starts Prisma's wasm schema engine for `schemaText` on the database reached by `adapterFactory`. */
export async function openSchemaEngine(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  schemaFile: { name: string; text: string },
  log: (message: string) => void = () => {},
): Promise<SchemaEngineSession> {
  loaded ??= loadSchemaEngineClass();
  const SchemaEngineClass = await loaded;

  // The engine never closes the connections it opens (on SQLite it also takes an EXCLUSIVE lock), so
  // the app's own client would see SQLITE_BUSY. Track every adapter it opens and dispose them after.
  const opened: SqlDriverAdapter[] = [];
  const track = (adapter: SqlDriverAdapter): SqlDriverAdapter => {
    opened.push(adapter);
    if (adapter.provider === "postgres") {
      // The PostgreSQL adapter runs a script by splitting it at every ";", which breaks PL/pgSQL
      // bodies; run each statement of a properly split script instead.
      adapter.executeScript = async (script: string) => {
        for (const sql of splitSqlScript(script)) await adapter.executeRaw({ sql, args: [], argTypes: [] });
      };
    }
    return adapter;
  };
  const tracking: SqlMigrationAwareDriverAdapterFactory = {
    provider: adapterFactory.provider,
    adapterName: adapterFactory.adapterName,
    connect: async () => track(await adapterFactory.connect()),
    connectToShadowDb: async () => track(await adapterFactory.connectToShadowDb()),
  };

  const engine = await SchemaEngineClass.new(
    { datamodels: [[schemaFile.name, schemaFile.text]] },
    (message: string) => log(message),
    bindMigrationAwareSqlAdapterFactory(tracking),
  );
  return {
    engine,
    async close() {
      engine.free();
      await Promise.allSettled(opened.splice(0).map((adapter) => adapter.dispose()));
    },
  };
}
