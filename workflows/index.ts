// Every workflow type the workers register; the bundle is built from this file.
export { pipelineWorkflow } from './pipeline';
export { registryWorkflow } from './registry';
export { backfillWorkflow, backfillCityWorkflow } from './backfill';
export { forecastSnapshotWorkflow, candlePollWorkflow } from './live-ingest';
export { validateWorkflow, validateCityWorkflow } from './validate';
export { tuneWorkflow } from './tune';
export { datasetWorkflow, datasetCityWorkflow } from './dataset';
export { trainCityWorkflow, tuneCityWorkflow } from './train';
export { scheduledTrainingWorkflow } from './scheduled-training';
export { deltaSweepWorkflow } from './delta-sweep';
export { edgeClassifierWorkflow } from './edge';
