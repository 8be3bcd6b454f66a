/**
 * The ONNX protobuf schema (official onnx-ml.proto, vendored) loaded with protobufjs's light build
 * from the checked-in descriptor: no parsing and no file I/O at run time. Field names are the
 * proto's snake_case (ir_version, opset_import, ...).
 */
import protobuf from 'protobufjs/light.js';
import { onnxMlDescriptor } from './vendor/onnx-ml.descriptor';

const root = protobuf.Root.fromJSON(onnxMlDescriptor);

export const ModelProto = root.lookupType('onnx.ModelProto');

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, UINT8: 2, INT64: 7, DOUBLE: 11 } as const;

/** AttributeProto.AttributeType values used here. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

/** Serialises a plain ModelProto object (verified against the schema first, so a wrong field fails here, not in the runtime). */
export function encodeModel(model: Record<string, unknown>): Uint8Array {
  const problem = ModelProto.verify(model);
  if (problem) throw new Error(`onnx: invalid ModelProto: ${problem}`);
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

/** The model's metadata_props as a map (onnxruntime-node does not expose them). */
export function readMetadata(bytes: Uint8Array): Map<string, string> {
  const decoded = ModelProto.decode(bytes) as unknown as { metadata_props?: { key?: string; value?: string }[] };
  return new Map((decoded.metadata_props ?? []).map((p) => [p.key ?? '', p.value ?? '']));
}
