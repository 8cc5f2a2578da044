/**
 * The proxy's worker threads (`faaso serve --threads N`): workers beside the
 * main thread on the same port, for the cores one thread cannot use.
 *
 * @module
 */
export { ProxyThreads, type ProxyThreadsOptions } from "./proxy_threads.ts";
export { acceptRelayed, relayToken } from "./relay.ts";
export { type RunningThreads, startThreads, type StartThreadsOptions } from "./start.ts";
