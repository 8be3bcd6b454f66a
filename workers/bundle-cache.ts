/**
 * The workflow bundle, cached on disk: webpack takes 3–10 s of CPU per process, which a re-run of a
 * finished backfill (a few seconds of work otherwise) would spend every time. The cache file holds the
 * bundle with the content hash of every module webpack put into it (the project's own sources and the
 * node_modules files, named by the bundle's module ids); it is used only when every one of those files
 * still has that hash, so an edited workflow, schema or SDK upgrade rebuilds it.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';

interface CacheFile {
  workflowsPath: string;
  modules: Record<string, string>;
  code: string;
  sourceMap: string;
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/**
 * The files a bundle was built from: webpack opens each module's entry with a line `/***\/ "./<path>"`,
 * the path relative to the root (strings elsewhere in the code, comments included, are not modules).
 */
function moduleIds(code: string): string[] {
  return [...new Set([...code.matchAll(/^\/\*\*\*\/ "\.\/([^"]+)"$/gm)].map((m) => m[1]!))];
}

async function hashes(root: string, ids: readonly string[]): Promise<Record<string, string> | undefined> {
  const out: Record<string, string> = {};
  for (const id of ids) {
    try {
      out[id] = sha256(await readFile(join(root, id)));
    } catch {
      return undefined; // a module id that is not a file here: the bundle cannot be checked, so not cached
    }
  }
  return out;
}

/**
 * The bundle of `workflowsPath` from `cacheDir` when every file it was built from is unchanged, else
 * built with `build` and written there (atomically, by rename). `root` is what webpack resolves module
 * ids against (the project root).
 */
export async function cachedWorkflowBundle(
  opts: { workflowsPath: string; root: string; cacheDir: string },
  build: () => Promise<WorkflowBundleWithSourceMap>,
): Promise<WorkflowBundleWithSourceMap> {
  // webpack names modules relative to the working directory: the key covers both paths.
  const file = join(opts.cacheDir, `workflow-bundle-${sha256(`${resolve(opts.workflowsPath)}\u0000${resolve(opts.root)}`).slice(0, 12)}.json`);
  let cached: CacheFile | undefined;
  try {
    cached = JSON.parse(readFileSync(file, 'utf8')) as CacheFile;
  } catch {
    cached = undefined; // no cache yet (or a torn one): build
  }
  if (cached && cached.workflowsPath === opts.workflowsPath) {
    const now = await hashes(opts.root, Object.keys(cached.modules));
    if (now && Object.entries(cached.modules).every(([id, h]) => now[id] === h)) return { code: cached.code, sourceMap: cached.sourceMap };
  }
  const bundle = await build();
  const modules = await hashes(opts.root, moduleIds(bundle.code));
  if (modules && Object.keys(modules).length > 0) {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ workflowsPath: opts.workflowsPath, modules, code: bundle.code, sourceMap: bundle.sourceMap } satisfies CacheFile));
    renameSync(tmp, file);
  }
  return bundle;
}
