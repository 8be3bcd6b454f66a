export * from './asof';
export * from './build';
export * from './clock';
export * from './frame';
export * from './inputs';
export * from './leakage';
export * from './market';
export * from './weather';
