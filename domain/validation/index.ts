// Validation checks: pure functions over plain arrays and aggregates (activities/validate loads them).
export * from './observations';
export * from './forecasts';
export * from './candles';
export * from './settlements';
export * from './skill';
export * from './coverage';
export * from './dst';
export * from './freshness';
export * from './thresholds';
export * from './ladder';
