/**
 * A real Mosquitto broker for integration tests and benchmarks: the one harness, in
 * simulators/site/mosquitto-server.ts (the simulated site starts its upstream with it too).
 */
export * from '../../../simulators/site/mosquitto-server.js';
