/**
 * Regenerates domain/ml/onnx/vendor/onnx-ml.descriptor.ts from the vendored official
 * domain/ml/onnx/vendor/onnx-ml.proto (protobufjs parse -> Root.toJSON), so that the exporter loads
 * the ONNX schema with protobufjs's light build (Root.fromJSON): no .proto parsing and no file I/O at
 * run time, and a reviewable diff when the vendored proto changes.
 *
 *   npx tsx scripts/gen-onnx-descriptor.ts          (rewrite the descriptor)
 *   npx tsx scripts/gen-onnx-descriptor.ts --check  (exit 1 if it is out of date)
 *
 * domain/ml/onnx/descriptor.test.ts fails when the checked-in descriptor and the proto disagree.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { descriptorModuleSource } from '../domain/ml/onnx/descriptor-source';

const vendor = join(dirname(fileURLToPath(import.meta.url)), '..', 'domain', 'ml', 'onnx', 'vendor');
const protoText = readFileSync(join(vendor, 'onnx-ml.proto'), 'utf8');
const target = join(vendor, 'onnx-ml.descriptor.ts');
const source = descriptorModuleSource(protoText);

if (process.argv.includes('--check')) {
  const current = readFileSync(target, 'utf8');
  if (current !== source) {
    console.error(`${target} is out of date: run npx tsx scripts/gen-onnx-descriptor.ts`);
    process.exit(1);
  }
  console.log(`${target} is up to date`);
} else {
  writeFileSync(target, source);
  console.log(`wrote ${target}`);
}
