/**
 * A real InfluxDB 1.x server for integration tests: the one harness, in
 * simulators/site/influxd-server.ts (the simulated site starts its upstream with it too).
 */
export * from '../../../simulators/site/influxd-server.js';
