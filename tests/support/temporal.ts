import { TestWorkflowEnvironment } from '@temporalio/testing';
import { resolveTemporalBinary } from '../../runtime/temporal-cli';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

/**
 * A real Temporal CLI dev server on a free port (the binary from TEMPORAL_CLI, PATH or .tools/), with
 * the product's search attributes registered.
 */
export async function startDevServer(): Promise<TestWorkflowEnvironment> {
  const cli = resolveTemporalBinary('cli');
  if (!cli.path) throw new Error('no Temporal CLI found: run `npm install` (it puts one under .tools/) or set TEMPORAL_CLI');
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli.path },
      ip: '127.0.0.1',
      searchAttributes: SEARCH_ATTRIBUTES.map((a) => a.key),
      extraArgs: ['--log-level', 'error'],
    },
  });
}
