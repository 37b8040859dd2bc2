// The packet tracer's public surface, for the CLI, the editor client and tests.
export { tracePacket, traceScenarios, scenarioTotal, ruleRef } from './tracer';
export { parsePacketSpec, formatPacketSpec, parseEndpoint } from './spec';
export { formatTrace, formatPercent, masqueradeText, outcomeProbabilityText } from './format';
export { runTraceCommand, TRACE_USAGE } from './command';
export type * from './types';
