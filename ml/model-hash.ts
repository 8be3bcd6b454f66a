/**
 * The canonical model.json text of a model and its hash. model.onnx records the hash (metadata
 * wx.model_hash) so that a model.onnx can be matched to the model.json it was exported with, and a
 * model predicted from memory (Predictor.fromModel) carries the same identity as its files would.
 */
import { createHash } from 'node:crypto';
import type { GbdtModel } from '../domain/ml/gbdt/model';

/** model.json's text: the zod-parsed model as JSON, one trailing newline. */
export const modelJsonText = (model: GbdtModel): string => `${JSON.stringify(model)}\n`;

/** sha256 of model.json's text, as recorded in model.onnx. */
export const modelHash = (jsonText: string): string => `sha256:${createHash('sha256').update(jsonText).digest('hex')}`;
