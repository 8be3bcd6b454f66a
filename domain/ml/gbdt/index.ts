export * from './model';
export * from './params';
export * from './dataset';
export { trainGbdt, type TrainOptions, type TrainResult, type IterationEvent } from './train';
export { trainCumulativeBinaries, cumulativeToClassProba, predictCumulativeBinaries, type CumulativeBinaries } from './cumulative';
export type { HistogramBackend, HistogramBuilder, HistogramInput } from './histogram';
export { buildHistogramRange } from './histogram';
