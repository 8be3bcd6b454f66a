/**
 * The checked-in descriptor is what scripts/gen-onnx-descriptor.ts makes from the vendored official
 * onnx-ml.proto (so they cannot drift apart), and the proto keeps its licence beside it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { descriptorJson, descriptorModuleSource } from './descriptor-source';
import { onnxMlDescriptor } from './vendor/onnx-ml.descriptor';

const vendor = (name: string) => readFileSync(new URL(`./vendor/${name}`, import.meta.url), 'utf8');

describe('vendored onnx-ml.proto', () => {
  it('the checked-in descriptor module is generated from it', () => {
    const proto = vendor('onnx-ml.proto');
    expect(vendor('onnx-ml.descriptor.ts')).toBe(descriptorModuleSource(proto));
    expect(onnxMlDescriptor).toEqual(descriptorJson(proto));
  });

  it('is the official schema, under its Apache-2.0 licence', () => {
    expect(vendor('onnx-ml.proto')).toContain('SPDX-License-Identifier: Apache-2.0');
    expect(vendor('onnx-ml.proto')).toMatch(/message ModelProto \{/);
    expect(vendor('LICENSE')).toMatch(/Apache License\s+Version 2\.0, January 2004/);
    expect(vendor('NOTICE.md')).toMatch(/commit `[0-9a-f]{40}`/);
  });
});
