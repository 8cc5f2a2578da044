/**
 * The proxy of `faaso serve`: `/funko/NAME/...` forwarded to NAME's healthy
 * instances, the routing table that knows them, the watcher that keeps the
 * table in step with the engine's events, and the keeper that starts
 * instances the engine let go. Built on the HTTP/1.1 stack in `http1/`.
 *
 * @module
 */
export { createProxy, isFunkoTarget, type ProxyHandler, type ProxyOptions } from "./forward.ts";
export { ProxyExchange, type ProxyObserver } from "./observer.ts";
export { InstanceKeeper, type KeeperOptions } from "./keeper.ts";
export { RouteWatcher, type RouteWatcherOptions } from "./route_watcher.ts";
export { drainInTable, type Endpoint, RoutingTable } from "./routing_table.ts";
