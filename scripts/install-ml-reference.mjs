#!/usr/bin/env node
// Installs the Python reference the model-engine benchmarks compare against (LightGBM, Optuna, and
// onnxmltools + onnx to run LightGBM's model in onnxruntime-node) into .tools/ml-ref with
// `pip install --target`, so nothing lands in the system Python. The benches call this first and
// skip the reference side, with this script's message, when it cannot install.
// Usage: node scripts/install-ml-reference.mjs [--check]   (--check: report only, install nothing)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ML_REF_DIR = join(root, '.tools', 'ml-ref');
// Pinned so figures are reproducible; onnxmltools' converter needs onnx, and target_opset <= 15
// (ml-libraries.md) is what onnxruntime-node runs for its output.
const PACKAGES = ['lightgbm==4.7.0', 'optuna==5.0.0', 'onnxmltools==1.16.0', 'onnx==1.19.1', 'numpy<2.4', 'pandas', 'pyarrow', 'scikit-learn'];
const python = process.env.PYTHON ?? 'python3';
const stamp = join(ML_REF_DIR, '.installed');

function probe() {
  const r = spawnSync(python, ['-c', 'import lightgbm, optuna, onnxmltools, onnx, numpy, pandas, pyarrow; print(lightgbm.__version__, optuna.__version__, onnxmltools.__version__, onnx.__version__, numpy.__version__)'], {
    env: { ...process.env, PYTHONPATH: ML_REF_DIR },
    encoding: 'utf8',
  });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

const present = existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === PACKAGES.join(' ') ? probe() : undefined;
if (present) {
  console.log(`[ml-ref] present in ${ML_REF_DIR} (lightgbm optuna onnxmltools onnx numpy: ${present})`);
  process.exit(0);
}
if (process.argv.includes('--check')) {
  console.log(`[ml-ref] not installed in ${ML_REF_DIR}; run: node scripts/install-ml-reference.mjs`);
  process.exit(1);
}
mkdirSync(ML_REF_DIR, { recursive: true });
console.log(`[ml-ref] installing ${PACKAGES.join(' ')} into ${ML_REF_DIR}`);
const res = spawnSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--upgrade', '--target', ML_REF_DIR, ...PACKAGES], { stdio: 'inherit' });
const after = res.status === 0 ? probe() : undefined;
if (!after) {
  console.warn(`[ml-ref] could not install the Python reference (pip exit ${res.status ?? res.error?.message}); ` +
    'the benchmarks run the TypeScript side only and print SKIP for LightGBM/Optuna');
  process.exit(1);
}
writeFileSync(stamp, PACKAGES.join(' ') + '\n');
console.log(`[ml-ref] installed (lightgbm optuna onnxmltools onnx numpy: ${after})`);
