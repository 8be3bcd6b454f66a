import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes, registered on the dev server at start and checked on external clusters. */
export const CITY = defineSearchAttributeKey('City', SearchAttributeType.KEYWORD);
export const STAGE = defineSearchAttributeKey('Stage', SearchAttributeType.KEYWORD);
/** The study a tuneWorkflow runs (ml.study.name). */
export const STUDY = defineSearchAttributeKey('Study', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [
  { name: 'City', key: CITY },
  { name: 'Stage', key: STAGE },
  { name: 'Study', key: STUDY },
] as const;

/** The City value of a run that covers several cities, so that "all cities" runs are filterable too. */
export const ALL_CITIES = 'all';
